import type { LineSink, RunningService } from './service';

export interface EventHubsService extends RunningService {
  readonly connectionString: string;
  readonly port: number;
  kill(): void;
}

/** The Event Hubs emulator in its own process, hub `tweets` with consumer group `cosmos-writer`. */
export async function startEventHubsService(options: {
  host: string;
  port: number;
  dataDir?: string;
  log: LineSink;
}): Promise<EventHubsService> {
  throw new Error(`Event Hubs emulator: not wired yet (${options.host}:${options.port})`);
}
