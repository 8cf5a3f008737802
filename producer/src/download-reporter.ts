import { Presets, SingleBar } from 'cli-progress';
import type { DownloadProgress } from './kaggle';

/**
 * Download progress on stderr: a bar per dataset on a terminal, otherwise a line at each tenth of the
 * file (or every 50 MB when the size is unknown), so a CI log shows it is moving without flooding.
 */
export function downloadReporter(
  stream: { write(text: string): unknown; isTTY?: boolean },
  tty = stream.isTTY === true,
): { onProgress: (p: DownloadProgress) => void; stop: () => void } {
  let bar: SingleBar | undefined;
  let current = '';
  let nextLine = 0;
  let lastPrinted = -1;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress = (p: DownloadProgress) => {
    const key = `${p.dataset}#${p.attempt}`;
    if (key !== current) {
      stop();
      current = key;
      nextLine = 0;
      lastPrinted = -1;
    }
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (tty) {
      if (!bar) {
        bar = new SingleBar(
          {
            stream: stream as NodeJS.WritableStream,
            format: `${p.dataset} [{bar}] {percentage}% {received}/{totalMb} MB`,
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(p.total ?? 0, 0, { received: '0.0', totalMb: p.total ? mb(p.total) : '?' });
      }
      bar.update(p.received, { received: mb(p.received), totalMb: p.total ? mb(p.total) : '?' });
      return;
    }
    // The last chunk and the closing report carry the same count: print it once.
    if (p.received === lastPrinted || (p.received < nextLine && p.received !== p.total)) return;
    lastPrinted = p.received;
    const step = p.total ? Math.max(1, Math.ceil(p.total / 10)) : 50e6;
    nextLine = (Math.floor(p.received / step) + 1) * step;
    stream.write(
      `download: ${p.dataset} ${mb(p.received)}${p.total ? `/${mb(p.total)}` : ''} MB` +
        (p.total ? ` (${Math.floor((100 * p.received) / p.total)}%)` : '') +
        (p.attempt > 1 ? `, attempt ${p.attempt}` : '') +
        '\n',
    );
  };
  return { onProgress, stop };
}
