import { existsSync } from 'node:fs';
import { spawnFunctionsHost, type SpawnedFunctionsHost } from '@pipeline/functions-host';
import type { LineSink, RunningService } from './service';

export type FunctionsHostService = SpawnedFunctionsHost & RunningService;

/** The functions host in its own process, running the deployment bundle (the code Azure runs). */
export async function startFunctionsService(options: {
  host: string;
  port: number;
  appEntry: string;
  settingsFile: string;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  log: LineSink;
}): Promise<FunctionsHostService> {
  if (!existsSync(options.appEntry)) {
    throw new Error(
      `The functions bundle ${options.appEntry} is missing: run \`npm run -w functions package\` (npm start does it for you)`,
    );
  }
  const host = await spawnFunctionsHost({
    appEntry: options.appEntry,
    settingsFile: options.settingsFile,
    host: options.host,
    port: options.port,
    debug: options.debug,
    env: options.env,
    onLine: options.log,
  });
  return Object.assign(host, { name: 'Functions host' });
}
