import Module from 'node:module';
import type {
  Disposable,
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './core-types';

export const CORE_MODULE_ID = '@azure/functions-core';

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

/**
 * What the app registers through `@azure/functions-core` while its entry module loads: the programming
 * model (the library's converters), every function with its full binding metadata, and hooks.
 */
export class Registry {
  programmingModel: ProgrammingModel | undefined;
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, Set<HookCallback>>();
  /** Shared by every hook for the life of the app, as the worker's `appHookData`. */
  readonly appHookData: Record<string, unknown> = {};
  #startupComplete = false;

  constructor(private readonly systemLog: (level: RpcLogLevel, message: string) => void) {}

  completeStartup(): void {
    this.#startupComplete = true;
  }

  hookCallbacks(name: HookName): HookCallback[] {
    return [...(this.hooks.get(name) ?? [])];
  }

  /** The module object handed to every `require('@azure/functions-core')` in the app. */
  coreApi() {
    const disposable = (dispose: () => void): Disposable => {
      let done = false;
      return {
        dispose() {
          if (!done) dispose();
          done = true;
        },
      };
    };
    return {
      setProgrammingModel: (model: ProgrammingModel): void => {
        if (this.programmingModel)
          this.systemLog(
            'warning',
            `Programming model "${this.programmingModel.name}" replaced by "${model.name}" ${model.version}`,
          );
        this.programmingModel = model;
      },
      getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
      registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback): Disposable => {
        // The Azure worker refuses late registrations too: the host indexes functions once, at startup.
        if (this.#startupComplete)
          throw new Error(`A function can only be registered during app startup ("${metadata.name}")`);
        if (this.functions.has(metadata.name))
          throw new Error(`A function named "${metadata.name}" is already registered`);
        this.functions.set(metadata.name, { metadata, callback });
        return disposable(() => this.functions.delete(metadata.name));
      },
      registerHook: (name: HookName, callback: HookCallback): Disposable => {
        const set = this.hooks.get(name) ?? new Set<HookCallback>();
        this.hooks.set(name, set);
        set.add(callback);
        return disposable(() => set.delete(callback));
      },
      log: (level: RpcLogLevel, _category: RpcLogCategory, message: string): void => {
        this.systemLog(level, message);
      },
    };
  }
}

let installed: Registry | undefined;

/**
 * Makes `require('@azure/functions-core')` return the registry's API in this process, the way the Azure
 * Node.js worker does it (a proxy on `Module.prototype.require`): it works for the esbuild bundle (which
 * keeps the module external) and for tsc's output alike, and needs no files on disk or NODE_PATH.
 * One registry per process: app settings are process-wide environment variables, as in Azure.
 */
export function installCoreModule(registry: Registry): () => void {
  if (installed) throw new Error('A functions host is already running in this process (one per process)');
  installed = registry;
  const api = registry.coreApi();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as is; Reflect.apply passes `this`
  const original = Module.prototype.require;
  Module.prototype.require = new Proxy(original, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === CORE_MODULE_ID) return api;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
  return () => {
    Module.prototype.require = original;
    installed = undefined;
  };
}
