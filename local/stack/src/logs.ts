import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { LineSink } from './services/service';

/**
 * One log file per service under `<dir>/logs/`, so the terminal shows one line per service instead of
 * a wall of emulator and SDK output. With `echo`, lines are also printed, prefixed by the service.
 */
export class ServiceLogs {
  private readonly streams = new Map<string, WriteStream>();

  constructor(
    private readonly dir: string,
    private readonly echo: boolean,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  sink(service: string): LineSink {
    return (line) => {
      let stream = this.streams.get(service);
      if (!stream) {
        stream = createWriteStream(join(this.dir, `${service}.log`), { flags: 'a' });
        this.streams.set(service, stream);
      }
      stream.write(`${new Date().toISOString()} ${line}\n`);
      if (this.echo) process.stderr.write(`[${service}] ${line}\n`);
    };
  }

  pathOf(service: string): string {
    return join(this.dir, `${service}.log`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    this.streams.clear();
  }
}
