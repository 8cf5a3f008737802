import { randomUUID } from 'node:crypto';
import type { RegisteredFunction, Registry } from './core-module';
import type {
  CoreInvocationContext,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogLevel,
  RpcTypedData,
} from './core-types';
import type { HostLogger } from './logger';

export type InvocationInput = Omit<RpcInvocationRequest, 'invocationId' | 'functionId'>;

export interface InvocationResult {
  readonly invocationId: string;
  readonly response: RpcInvocationResponse;
}

/** Thrown when the function (or a hook) fails; carries the invocation id for the log and the caller. */
export class InvocationError extends Error {
  override name = 'InvocationError';
  constructor(
    readonly invocationId: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Runs one invocation the way the Azure Node.js worker does: the app's programming model (the
 * `@azure/functions` library the app itself bundles) turns the RPC request into the handler's
 * arguments (HttpRequest, InvocationContext, parsed event bodies, camel-cased trigger metadata),
 * calls the handler between the pre/post invocation hooks, and turns the result and
 * `context.extraOutputs` back into RPC output data. The host then applies that output data.
 */
export async function invokeFunction(
  registry: Registry,
  fn: RegisteredFunction,
  input: InvocationInput,
  logger: HostLogger,
): Promise<InvocationResult> {
  const model = registry.programmingModel;
  if (!model) throw new Error('The app did not set a programming model (is @azure/functions imported?)');
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const coreContext: CoreInvocationContext = {
    invocationId,
    request: { ...input, invocationId, functionId: name },
    metadata: fn.metadata,
    log: (level, category, message) => {
      // Log hooks (app.hook.log) see every log and may rewrite user logs, as in the worker.
      let final = { level, message };
      for (const hook of registry.hookCallbacks('log')) {
        const hookContext: Record<string, unknown> = {
          level,
          category,
          message,
          invocationContext,
          hookData: {},
          appHookData: registry.appHookData,
        };
        try {
          void hook(hookContext);
        } catch (error) {
          logger.warn(
            `${name}: a log hook failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        if (category === 'user')
          final = { level: hookContext.level as RpcLogLevel, message: String(hookContext.message) };
      }
      userLog(logger, name, final.level, category === 'system', final.message);
    },
  };
  let invocationContext: unknown;
  try {
    const invocationModel = model.getInvocationModel(coreContext);
    const { context, inputs: initialInputs } = await invocationModel.getArguments();
    invocationContext = context;
    const appHookData = registry.appHookData;
    const hookData: Record<string, unknown> = {};
    let inputs = initialInputs;
    let callback = fn.callback;
    coreContext.state = 'preInvocationHooks';
    for (const hook of registry.hookCallbacks('preInvocation')) {
      const hookContext: Record<string, unknown> = {
        invocationContext: context,
        inputs,
        functionCallback: callback,
        hookData,
        appHookData,
      };
      await hook(hookContext);
      inputs = hookContext.inputs as unknown[];
      callback = hookContext.functionCallback as typeof callback;
    }
    coreContext.state = 'invocation';
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await invocationModel.invokeFunction(context, inputs, callback);
    } catch (error) {
      failure = { error };
    }
    coreContext.state = 'postInvocationHooks';
    for (const hook of registry.hookCallbacks('postInvocation')) {
      const hookContext: Record<string, unknown> = {
        invocationContext: context,
        inputs,
        result,
        error: failure?.error,
        hookData,
        appHookData,
      };
      await hook(hookContext);
      result = hookContext.result;
      failure = hookContext.error === undefined ? undefined : { error: hookContext.error };
    }
    if (failure) throw failure.error;
    return { invocationId, response: await invocationModel.getResponse(context, result) };
  } catch (error) {
    throw new InvocationError(invocationId, error);
  }
}

/** Output data as the library encoded it, decoded to the value the handler set. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json != null) return JSON.parse(data.json) as unknown;
  if (data.string != null) return data.string;
  if (data.bytes != null) return Buffer.from(data.bytes);
  if (data.stream != null) return Buffer.from(data.stream);
  if (data.int != null) return data.int;
  if (data.double != null) return data.double;
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  return undefined;
}

/** Values of output bindings by binding name (the `$return` binding included). */
export function outputValues(response: RpcInvocationResponse): Map<string, RpcTypedData> {
  const values = new Map<string, RpcTypedData>();
  for (const output of response.outputData ?? [])
    if (output.name && output.data) values.set(output.name, output.data);
  if (response.returnValue) values.set('$return', response.returnValue);
  return values;
}

/**
 * The handler's own `context.log/warn/error` lines. Warnings and errors always show; information and
 * below only in debug mode, so the normal output stays at one line per invocation.
 */
function userLog(logger: HostLogger, fn: string, level: RpcLogLevel, system: boolean, message: string): void {
  const line = `${fn}${system ? ' (worker)' : ''}: ${message}`;
  if (level === 'error' || level === 'critical') logger.error(line);
  else if (level === 'warning') logger.warn(line);
  else logger.debug(line);
}
