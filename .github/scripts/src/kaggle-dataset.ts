import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  KAGGLE_DATASETS,
  PREPARE_VERSION,
  archiveName,
  prepare,
  resolveVersions,
  type DownloadedDataset,
  type KaggleClient,
  type PrepareSummary,
} from '@pipeline/producer';
import {
  contentManifestName,
  manifestBlobName,
  type CacheManifest,
  type DatasetCache,
  type DatasetKey,
  type SourceFile,
} from './dataset-cache';
import { table } from './markdown';

export type CacheOutcome =
  /** Found under the pinned versions: nothing was downloaded or prepared. */
  | 'hit'
  /** Downloaded, and found under the archives' content: prepare was skipped. */
  | 'hit-by-content'
  /** Downloaded and prepared, then stored. */
  | 'miss'
  /** Downloaded and prepared on request (refresh), then stored over the old entry. */
  | 'refresh'
  /** No cache configured. */
  | 'off'
  /** The cache could not be used (the message says why); the run went on without it. */
  | 'unavailable';

export interface KaggleDatasetOptions {
  readonly client: KaggleClient;
  readonly cache?: DatasetCache | undefined;
  /** Where the archives go (the runner's temp folder in the workflow). */
  readonly workDir: string;
  readonly out: string;
  /** The pairing seed given to prepare (default '1', prepare's own default). */
  readonly seed?: string | undefined;
  /** Ignore what the cache holds; prepare again and store the result. */
  readonly refresh?: boolean | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly warn?: ((message: string) => void) | undefined;
  readonly datasets?: { readonly tweets: string; readonly images: string } | undefined;
}

export interface KaggleDatasetReport {
  readonly cache: CacheOutcome;
  readonly cacheProblems: readonly string[];
  readonly sources: readonly SourceFile[];
  readonly downloads: readonly DownloadedDataset[];
  readonly prepare?: Omit<PrepareSummary, 'skippedRows'> | undefined;
  /** The cache entry used or written. */
  readonly manifest?: CacheManifest | undefined;
  readonly events: number;
  readonly durationMs: number;
}

/**
 * The events of the real dataset, as cheaply as the cache allows: pin the datasets' versions, read
 * the prepared NDJSON from the cache when it holds them; otherwise download both archives, look the
 * NDJSON up by their content, and only then prepare (straight from the zips) and store the result.
 * Any cache failure (a role still propagating, a network error) is reported and the run goes on as
 * if there were no cache: the cache saves time, it never decides the outcome.
 */
export async function kaggleDataset(options: KaggleDatasetOptions): Promise<KaggleDatasetReport> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const datasets = options.datasets ?? KAGGLE_DATASETS;
  const key: DatasetKey = { prepareVersion: PREPARE_VERSION, seed: options.seed ?? '1' };
  const problems: string[] = [];
  let cache = options.cache;
  const guard = async <T>(what: string, run: (c: DatasetCache) => Promise<T>): Promise<T | undefined> => {
    if (!cache) return undefined;
    try {
      return await run(cache);
    } catch (error) {
      const message = `dataset cache: ${what} failed (${(error as Error).message}); going on without the cache`;
      problems.push(message);
      warn(message);
      cache = undefined;
      return undefined;
    }
  };
  const outcome = (found: CacheOutcome): CacheOutcome =>
    problems.length ? 'unavailable' : options.cache ? found : 'off';
  const finish = (
    result: Omit<KaggleDatasetReport, 'durationMs' | 'cacheProblems'>,
  ): KaggleDatasetReport => ({
    ...result,
    cacheProblems: problems,
    durationMs: Math.round(performance.now() - started),
  });

  const pinned = await resolveVersions(options.client, [datasets.tweets, datasets.images], warn);
  const byVersion = manifestBlobName(pinned, key);
  if (byVersion && !options.refresh) {
    const manifest = await guard('reading the manifest', (c) => c.manifest(byVersion));
    if (manifest && (await guard('downloading the prepared events', (c) => c.fetch(manifest, options.out)))) {
      log(`dataset cache: hit ${byVersion} -> ${manifest.blob} (${manifest.events} events)`);
      return finish({
        cache: 'hit',
        sources: manifest.sources,
        downloads: [],
        manifest,
        events: manifest.events,
      });
    }
  }

  await mkdir(options.workDir, { recursive: true });
  const downloads: DownloadedDataset[] = [];
  for (const { dataset, version } of pinned) {
    downloads.push(
      await options.client.download(dataset, join(options.workDir, archiveName(dataset)), version),
    );
  }
  const sources: SourceFile[] = downloads.map(({ dataset, version, bytes, sha256 }) => ({
    dataset,
    version,
    bytes,
    sha256,
  }));
  const byContent = contentManifestName(sources, key);
  if (!options.refresh) {
    const manifest = await guard('reading the manifest', (c) => c.manifest(byContent));
    if (manifest && (await guard('downloading the prepared events', (c) => c.fetch(manifest, options.out)))) {
      log(`dataset cache: the archives' content matches ${manifest.blob}; prepare skipped`);
      // Remember it under the pinned versions too, so the next run skips the download as well.
      if (byVersion) await guard('writing the manifest', (c) => c.writeManifest(byVersion, manifest));
      return finish({
        cache: outcome('hit-by-content'),
        sources,
        downloads,
        manifest,
        events: manifest.events,
      });
    }
  }

  const summary = await prepare({
    tweets: downloads[0]!.path,
    images: downloads[1]!.path,
    out: options.out,
    seed: key.seed,
    onProgress: (rows, written) => log(`prepare: ${rows} rows read, ${written} events written`),
  });
  const { skippedRows: _skipped, ...prepared } = summary;
  const manifest = await guard('storing the prepared events', (c) =>
    c.store(
      options.out,
      sources,
      key,
      summary.eventsWritten,
      byVersion ? [byContent, byVersion] : [byContent],
    ),
  );
  if (manifest) log(`dataset cache: stored ${manifest.blob}`);
  return finish({
    cache: outcome(options.refresh ? 'refresh' : 'miss'),
    sources,
    downloads,
    prepare: prepared,
    manifest,
    events: summary.eventsWritten,
  });
}

const CACHE_WORDS: Record<CacheOutcome, string> = {
  hit: 'hit: the prepared events came from the cache (no download, no prepare)',
  'hit-by-content': 'hit by content: downloaded, and the cache held these archives prepared (no prepare)',
  miss: 'miss: downloaded, prepared and stored',
  refresh: 'refreshed: downloaded, prepared and stored over the cached entry',
  off: 'off: no cache configured',
  unavailable: 'unavailable: the run went on without it',
};

/** The job summary's section: where the events came from, with sizes and hashes. */
export function renderKaggleDataset(report: KaggleDatasetReport): string {
  const lines = [`### Dataset: Kaggle (${report.events} events)`, ''];
  lines.push(
    table(
      ['Dataset', 'Version', 'Bytes', 'SHA-256', 'Download'],
      report.sources.map((s) => {
        const download = report.downloads.find((d) => d.dataset === s.dataset);
        return [
          `[${s.dataset}](https://www.kaggle.com/datasets/${s.dataset})`,
          s.version === undefined ? 'latest' : String(s.version),
          s.bytes.toLocaleString('en-US'),
          `\`${s.sha256}\``,
          download
            ? `${(download.durationMs / 1000).toFixed(1)} s, ${download.attempts} attempt(s)${download.md5Verified ? ', MD5 verified' : ''}`
            : 'cached',
        ];
      }),
    ),
  );
  lines.push('', `**Cache:** ${CACHE_WORDS[report.cache]}.`);
  for (const problem of report.cacheProblems) lines.push(`- ${problem}`);
  if (report.manifest)
    lines.push(`- blob \`${report.manifest.blob}\` (${report.manifest.bytes.toLocaleString('en-US')} bytes)`);
  const p = report.prepare;
  if (p) {
    const skipped = Object.entries(p.skippedByReason)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    lines.push(
      '',
      `**Prepare** (version ${p.prepareVersion}, ${p.encoding}, ${(p.durationMs / 1000).toFixed(1)} s): ` +
        `${p.rowsRead} rows read, ${p.eventsWritten} events written (${p.eventsWithImage} with one of ${p.images.found} images), ` +
        `${p.rowsSkipped} rows skipped${skipped ? ` (${skipped})` : ''}, ${p.images.skipped} image files skipped.`,
    );
  }
  lines.push('', `Took ${(report.durationMs / 1000).toFixed(1)} s.`, '');
  return lines.join('\n');
}
