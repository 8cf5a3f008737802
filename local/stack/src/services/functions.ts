import { existsSync } from 'node:fs';
import {
  HTTP_SCALE_GROUP,
  scaleGroupLabel,
  spawnFunctionsHost,
  type SpawnedFunctionsHost,
} from '@pipeline/functions-host';
import type { LineSink, RunningService } from './service';

/** One process of the functions app: an instance of one scale group (or of every function, `all`). */
export type FunctionsInstance = Pick<SpawnedFunctionsHost, 'scaleGroup' | 'url' | 'port' | 'pid'>;

/**
 * The functions app as the stack runs it. `url`, `port` and `pid` are the instance that serves HTTP
 * (the gateway's backend); `instances` lists every process. `stop` and `kill` act on all of them.
 */
export interface FunctionsHostService extends RunningService {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly instances: readonly FunctionsInstance[];
  /** SIGTERM: every instance finishes what is in flight, then exits (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL every instance, as a crash of the whole app would. Resolves once all are gone. */
  kill(): Promise<void>;
  /**
   * Replaces one scale group's instance (after a test killed it alone), the others untouched; the
   * HTTP instance keeps its port. Absent where one process runs every function (`func`).
   */
  restartGroup?(scaleGroup: string): Promise<FunctionsHostService>;
}

/** Names of the functions app's processes in figures (bench, fault reports) all start with this. */
export const FUNCTIONS_PROCESS = 'functions';

/**
 * One entry per process of the functions app: `functions (http)`, `functions (consume)` (one per
 * scale group), or plain `functions` for a host that runs every function in one process.
 */
export function functionsPids(
  instances: readonly { readonly scaleGroup: string; readonly pid: number }[],
): Record<string, number> {
  return Object.fromEntries(
    instances.map((i) => [
      i.scaleGroup === 'all' ? FUNCTIONS_PROCESS : `${FUNCTIONS_PROCESS} (${scaleGroupLabel(i.scaleGroup)})`,
      i.pid,
    ]),
  );
}

/** The log file of an instance: `functions` for the HTTP group, `functions-<function>` for the others. */
export function instanceLogName(scaleGroup: string): string {
  return scaleGroup === HTTP_SCALE_GROUP ? 'functions' : `functions-${scaleGroupLabel(scaleGroup)}`;
}

/**
 * The functions app in this repository's host, running the deployment bundle (the code Azure runs),
 * one process per Flex Consumption scale group, as Azure gives each group instances of its own
 * (local/functions-host/src/scale-groups.ts): the HTTP functions on `port`, the consumer apart, so
 * ingest and consume never share an event loop. The HTTP instance starts first and reports the app's
 * groups; the others then start on free ports.
 */
export async function startFunctionsService(options: {
  host: string;
  port: number;
  appEntry: string;
  settingsFile: string;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  /** The log of each instance, by its file name (instanceLogName). */
  log: (name: string) => LineSink;
  /**
   * The app's scale groups when already known (a restart): every instance then starts at once.
   * Otherwise the HTTP instance starts first and reports them.
   */
  scaleGroups?: readonly string[];
}): Promise<FunctionsHostService> {
  if (!existsSync(options.appEntry)) {
    throw new Error(
      `The functions bundle ${options.appEntry} is missing: run \`npm run -w functions package\` (npm start does it for you)`,
    );
  }
  const spawnGroup = (scaleGroup: string, port: number) =>
    spawnFunctionsHost({
      appEntry: options.appEntry,
      settingsFile: options.settingsFile,
      host: options.host,
      port,
      debug: options.debug,
      env: options.env,
      scaleGroup,
      onLine: options.log(instanceLogName(scaleGroup)),
    });
  const others = (groups: readonly string[]) =>
    groups.filter((g) => g !== HTTP_SCALE_GROUP).map((g) => spawnGroup(g, 0));
  let instances: SpawnedFunctionsHost[];
  if (options.scaleGroups) {
    // A restart (the fault suite kills the app five times in one replay) need not wait for one
    // instance to learn what the others are: with the groups known, all of them start together.
    instances = await allOrNone([spawnGroup(HTTP_SCALE_GROUP, options.port), ...others(options.scaleGroups)]);
  } else {
    const first = await spawnGroup(HTTP_SCALE_GROUP, options.port);
    try {
      instances = [first, ...(await allOrNone(others(first.appScaleGroups)))];
    } catch (error) {
      await first.stop();
      throw error;
    }
  }
  return compose(instances, spawnGroup);
}

/** The service over a set of running instances; a group's restart composes a new one. */
function compose(
  instances: readonly SpawnedFunctionsHost[],
  spawnGroup: (scaleGroup: string, port: number) => Promise<SpawnedFunctionsHost>,
): FunctionsHostService {
  const http = instances.find((i) => i.scaleGroup === HTTP_SCALE_GROUP) ?? instances[0]!;
  const described = instances.map((i) => `${i.scaleGroup}: pid ${i.pid}`).join(', ');
  return {
    name: `Functions host (one process per scale group; ${described})`,
    url: http.url,
    port: http.port,
    pid: http.pid,
    instances: instances.map(({ scaleGroup, url, port, pid }) => ({ scaleGroup, url, port, pid })),
    stop: async (graceMs?: number) => {
      await Promise.all(instances.map((i) => i.stop(graceMs)));
    },
    kill: async () => {
      await Promise.all(instances.map((i) => i.kill()));
    },
    restartGroup: async (scaleGroup: string) => {
      const old = instances.find((i) => i.scaleGroup === scaleGroup);
      if (!old)
        throw new Error(
          `the functions app has no scale group "${scaleGroup}" (its groups: ${instances.map((i) => i.scaleGroup).join(', ')})`,
        );
      await old.stop(); // at once if it is already dead
      const fresh = await spawnGroup(scaleGroup, scaleGroup === HTTP_SCALE_GROUP ? old.port : 0);
      return compose(
        instances.map((i) => (i === old ? fresh : i)),
        spawnGroup,
      );
    },
  };
}

/** Every instance, or none: a failure stops those that did start and rethrows the first error. */
async function allOrNone(starting: Promise<SpawnedFunctionsHost>[]): Promise<SpawnedFunctionsHost[]> {
  const results = await Promise.allSettled(starting);
  const up = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(up.map((i) => i.stop()));
    throw failed.reason;
  }
  return up;
}
