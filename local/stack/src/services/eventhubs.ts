import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { EMULATOR_KEY, EMULATOR_KEY_NAME, type EmulatorConfig } from '@pipeline/eventhubs-emulator';
import { PIPELINE_NAMES } from '../provision';
import type { LineSink, RunningService } from './service';

export interface EventHubsService extends RunningService {
  readonly connectionString: string;
  readonly port: number;
  readonly pid: number;
  kill(): void;
}

/** The hub the infrastructure creates in Azure: `tweets`, 2 partitions, 1-day retention. */
export const EVENT_HUBS_CONFIG: EmulatorConfig = {
  eventHubs: [
    {
      name: PIPELINE_NAMES.eventHub,
      partitionCount: 2,
      consumerGroups: [PIPELINE_NAMES.consumerGroup],
      retentionHours: 24,
    },
  ],
};

/** The compiled emulator CLI (child processes always run compiled JavaScript). */
function emulatorCli(): string {
  return join(require.resolve('@pipeline/eventhubs-emulator/package.json'), '..', 'dist', 'src', 'cli.js');
}

/** The Event Hubs emulator in its own process, hub `tweets` with consumer group `cosmos-writer`. */
export async function startEventHubsService(options: {
  host: string;
  port: number;
  /** Keeps the partition logs in `<dataDir>/eventhubs`; omitted keeps them in memory. */
  dataDir?: string;
  configDir: string;
  log: LineSink;
}): Promise<EventHubsService> {
  mkdirSync(options.configDir, { recursive: true });
  const configFile = join(options.configDir, 'eventhubs.config.json');
  writeFileSync(configFile, JSON.stringify(EVENT_HUBS_CONFIG, null, 2) + '\n');
  const args = ['--host', options.host, '--port', String(options.port), '--config', configFile];
  if (options.dataDir) args.push('--data', join(options.dataDir, 'eventhubs'));
  const { child, ready } = await spawnNodeUntilReady(
    'Event Hubs emulator',
    emulatorCli(),
    args,
    /"msg":"Event Hubs emulator listening","host":"[^"]*","port":(\d+)/,
    { onLine: options.log },
  );
  const port = Number(ready[1]);
  return {
    name: 'Event Hubs emulator',
    url: `amqp://${options.host}:${port}`,
    port,
    pid: child.pid!,
    connectionString: `Endpoint=sb://${options.host}:${port};SharedAccessKeyName=${EMULATOR_KEY_NAME};SharedAccessKey=${EMULATOR_KEY};UseDevelopmentEmulator=true`,
    stop: () => stopChild(child),
    kill: () => void child.kill('SIGKILL'),
  };
}
