// Re-reads the subscriptions and products of the local config while the gateway runs, as an
// operator's change in API Management takes effect without a redeploy. Two triggers: SIGHUP (POSIX
// only) and the config file itself changing, which works on every system. The file is polled
// (fs.watchFile, a stat every interval) rather than watched with fs.watch, because inotify events do
// not cross into WSL2 from a Windows drive (/mnt/c) and an editor's save-by-rename loses an fs.watch.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readLocalGatewayConfig, type LocalGatewayConfig } from './config';
import type { RunningGateway } from './gateway';

/** How often the config file is checked for a change, ms: a stat call, cheap enough to do often. */
export const CONFIG_POLL_MS = 250;

export type ReloadTrigger = 'SIGHUP' | 'config file changed';

export interface ConfigReloader {
  /** Re-reads the file now; a file change that leaves the subscriptions and products as they are is skipped. */
  reload(trigger: ReloadTrigger): void;
  /** Stops polling the file. */
  stop(): void;
}

/** What a reload changes; two configs with the same print need no reload. */
const fingerprint = (config: LocalGatewayConfig) =>
  JSON.stringify([config.subscriptions, config.products ?? null]);

export function reloadOnChange(options: {
  readonly file: string;
  readonly gateway: Pick<RunningGateway, 'setSubscriptions'>;
  /** The config the gateway started with. */
  readonly initial: LocalGatewayConfig;
  readonly log: (line: string) => void;
  readonly pollMs?: number;
}): ConfigReloader {
  let applied = fingerprint(options.initial);
  const reload = (trigger: ReloadTrigger) => {
    try {
      const next = readLocalGatewayConfig(options.file);
      const print = fingerprint(next);
      // SIGHUP always reloads (someone asked); a file change only when what matters changed, so a
      // write that also gets a SIGHUP does not reload twice.
      if (trigger === 'config file changed' && print === applied) return;
      options.gateway.setSubscriptions(next.subscriptions, next.products);
      applied = print;
      options.log(`subscriptions reloaded (${trigger})`);
    } catch (error) {
      // A file caught half-written says so here; the write's end changes the file again and reloads.
      options.log(`subscriptions not reloaded (${trigger}): ${(error as Error).message}`);
    }
  };
  const onPoll = (current: Stats) => {
    // A removed file reads as all zeros: keep what is in force until it is back.
    if (current.nlink === 0 && current.mtimeMs === 0) return;
    reload('config file changed');
  };
  // Not persistent: the server keeps the process alive; the poll must not keep it alive after.
  watchFile(options.file, { interval: options.pollMs ?? CONFIG_POLL_MS, persistent: false }, onPoll);
  // The poll compares with the file as it is now: a change made while the gateway was starting, after
  // `initial` was read, would go unnoticed without this first look.
  reload('config file changed');
  return { reload, stop: () => unwatchFile(options.file, onPoll) };
}
