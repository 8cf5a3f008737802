import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '@pipeline/emulators';
import {
  KAGGLE_DATASETS,
  KaggleClient,
  PREPARE_VERSION,
  buildZip,
  startFakeKaggle,
  type FakeKaggle,
} from '@pipeline/producer';
import { main } from '../src/cli';
import {
  DATASETS_CONTAINER,
  DatasetCache,
  contentManifestName,
  eventsBlobName,
  manifestBlobName,
} from '../src/dataset-cache';
import { kaggleDataset, renderKaggleDataset } from '../src/kaggle-dataset';

const ROOT = join(__dirname, '../../..');
const SAMPLE = join(ROOT, 'producer/sample');
const SAMPLE_EVENTS = readFileSync(join(SAMPLE, 'events.ndjson'));
const CREDENTIALS = { username: 'replayer', key: 'kaggle-key-123' };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The committed sample as Kaggle's two downloads: the CSV in one zip, the image tree in the other. */
const tweetsZip = buildZip([
  { name: 'Hurricane_Harvey.csv', data: readFileSync(join(SAMPLE, 'Hurricane_Harvey.csv')) },
]);
const imagesZip = buildZip(
  readdirSync(join(SAMPLE, 'images'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((path) => ({
      name: relative(join(SAMPLE, 'images'), path).split(sep).join('/'),
      data: readFileSync(path),
    })),
);

let azurite: RunningAzurite;
let kaggle: FakeKaggle;
let container: ContainerClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaggle-dataset-'));
  [azurite, kaggle] = await Promise.all([
    startAzurite({ port: 0 }),
    startFakeKaggle({
      ...CREDENTIALS,
      datasets: {
        [KAGGLE_DATASETS.tweets]: { zip: tweetsZip, version: 5 },
        [KAGGLE_DATASETS.images]: { zip: imagesZip, version: 1 },
      },
    }),
  ]);
  container = new ContainerClient(azurite.connectionString, DATASETS_CONTAINER);
  await container.create();
  // Azurite's start takes seconds on a loaded 2-core machine: past jest's 5 s default for a hook.
}, 60_000);
afterAll(async () => {
  await Promise.all([azurite?.stop(), kaggle?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function client(): KaggleClient {
  return new KaggleClient({ credentials: CREDENTIALS, baseUrl: kaggle.baseUrl, retryBaseMs: 1 });
}

async function blobNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

let run = 0;
async function replayDataset(options: { refresh?: boolean; cache?: DatasetCache | null } = {}) {
  const out = join(dir, `events-${++run}.ndjson`);
  const downloadsBefore = kaggle.downloads();
  const report = await kaggleDataset({
    client: client(),
    cache: options.cache === null ? undefined : (options.cache ?? new DatasetCache(container)),
    workDir: join(dir, `work-${run}`),
    out,
    refresh: options.refresh,
  });
  return { report, out, archivesDownloaded: kaggle.downloads() - downloadsBefore };
}

describe('the Kaggle dataset through the prepared-dataset cache (fake Kaggle, Azurite)', () => {
  const key = { prepareVersion: PREPARE_VERSION, seed: '1' };
  const sources = [
    { dataset: KAGGLE_DATASETS.tweets, version: 5, bytes: tweetsZip.length, sha256: sha256(tweetsZip) },
    { dataset: KAGGLE_DATASETS.images, version: 1, bytes: imagesZip.length, sha256: sha256(imagesZip) },
  ];

  it("first run: downloads, prepares from the zips and stores the NDJSON under the sources' hashes", async () => {
    const { report, out, archivesDownloaded } = await replayDataset();
    expect(report.cache).toBe('miss');
    expect(archivesDownloaded).toBe(2);
    expect(readFileSync(out)).toEqual(SAMPLE_EVENTS);
    expect(report.sources).toEqual(sources);
    expect(report.prepare).toMatchObject({
      rowsRead: 300,
      eventsWritten: 300,
      prepareVersion: PREPARE_VERSION,
    });
    const blob = eventsBlobName(sources, key);
    expect(blob).toBe(
      `kaggle/events/${sha256(tweetsZip)}-${sha256(imagesZip)}/prepare-v${PREPARE_VERSION}-seed-1.ndjson`,
    );
    expect(await blobNames()).toEqual(
      [blob, contentManifestName(sources, key), manifestBlobName(sources, key)!].sort(),
    );
    expect(manifestBlobName(sources, key)).toBe(
      `kaggle/manifests/dan195.hurricaneharvey@5+kmader.satellite-images-of-hurricane-damage@1/prepare-v${PREPARE_VERSION}-seed-1.json`,
    );
    expect(report.manifest).toMatchObject({
      blob,
      events: 300,
      bytes: SAMPLE_EVENTS.length,
      sha256: sha256(SAMPLE_EVENTS),
    });
  });

  it('second run: skips the download and prepare, and gives the same events (same ids)', async () => {
    kaggle.requests.length = 0;
    const { report, out, archivesDownloaded } = await replayDataset();
    expect(report.cache).toBe('hit');
    expect(archivesDownloaded).toBe(0);
    expect(kaggle.requests.map((r) => r.url)).toEqual([
      '/api/v1/datasets/view/dan195/hurricaneharvey',
      '/api/v1/datasets/view/kmader/satellite-images-of-hurricane-damage',
    ]);
    expect(report.prepare).toBeUndefined();
    expect(readFileSync(out)).toEqual(SAMPLE_EVENTS);
    expect(renderKaggleDataset(report)).toMatch(
      /\*\*Cache:\*\* hit: the prepared events came from the cache/,
    );
  });

  it('a new version with the same bytes is found by content: downloaded, not prepared, then pinned', async () => {
    kaggle.setDataset(KAGGLE_DATASETS.images, { zip: imagesZip, version: 2 });
    const first = await replayDataset();
    expect(first.report.cache).toBe('hit-by-content');
    expect(first.archivesDownloaded).toBe(2);
    expect(first.report.prepare).toBeUndefined();
    expect(readFileSync(first.out)).toEqual(SAMPLE_EVENTS);
    const second = await replayDataset();
    expect([second.report.cache, second.archivesDownloaded]).toEqual(['hit', 0]);
  });

  it('never uses a cached NDJSON that differs from its manifest: prepares again and repairs it', async () => {
    // Stand-alone: make sure the cache holds the entry before spoiling it.
    expect(['hit', 'miss']).toContain((await replayDataset()).report.cache);
    const blob = eventsBlobName(sources, key);
    const tampered = Buffer.from(SAMPLE_EVENTS.toString('utf8').replace(/"likes":\d+/, '"likes":999999'));
    await container.getBlockBlobClient(blob).uploadData(tampered);
    const { report, out, archivesDownloaded } = await replayDataset();
    expect(report.cache).toBe('miss');
    expect(archivesDownloaded).toBe(2);
    expect(readFileSync(out)).toEqual(SAMPLE_EVENTS);
    expect(await container.getBlockBlobClient(blob).downloadToBuffer()).toEqual(SAMPLE_EVENTS);
  });

  it('refresh prepares again even when cached', async () => {
    const { report, archivesDownloaded } = await replayDataset({ refresh: true });
    expect([report.cache, archivesDownloaded]).toEqual(['refresh', 2]);
    expect(report.prepare?.eventsWritten).toBe(300);
  });

  it('goes on without a cache it cannot reach, saying why', async () => {
    const unreachable = new DatasetCache(
      new ContainerClient(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=' +
          Buffer.from('not the key').toString('base64') +
          `;BlobEndpoint=${azurite.blobEndpoint};`,
        DATASETS_CONTAINER,
        { retryOptions: { maxTries: 1 } },
      ),
    );
    const { report, out } = await replayDataset({ cache: unreachable });
    expect(report.cache).toBe('unavailable');
    expect(report.cacheProblems[0]).toMatch(
      /^dataset cache: reading the manifest failed \(.*\); going on without the cache$/,
    );
    expect(readFileSync(out)).toEqual(SAMPLE_EVENTS);
    const off = await replayDataset({ cache: null });
    expect(off.report.cache).toBe('off');
  });

  it('the workflow command writes the events, the step output and a job summary with sizes and hashes', async () => {
    const work = mkdtempSync(join(tmpdir(), 'kaggle-cli-'));
    const env = {
      GITHUB_OUTPUT: join(work, 'out.txt'),
      GITHUB_STEP_SUMMARY: join(work, 'summary.md'),
      KAGGLE_USERNAME: CREDENTIALS.username,
      KAGGLE_KEY: CREDENTIALS.key,
      KAGGLE_API_URL: kaggle.baseUrl,
      DATASET_CACHE_CONNECTION_STRING: azurite.connectionString,
    };
    writeFileSync(env.GITHUB_OUTPUT, '');
    writeFileSync(env.GITHUB_STEP_SUMMARY, '');
    let stderr = '';
    const code = await main(['dataset', '--source', 'kaggle', '--out', 'events.ndjson'], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env,
      cwd: work,
    });
    expect([code, stderr]).toEqual([0, expect.stringContaining('dataset cache: hit')]);
    expect(readFileSync(join(work, 'events.ndjson'))).toEqual(SAMPLE_EVENTS);
    expect(readFileSync(env.GITHUB_OUTPUT, 'utf8')).toMatch(/^events<<(EOF_[\w-]+)\n300\n\1$/m);
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8');
    expect(summary).toContain('### Dataset: Kaggle (300 events)');
    expect(summary).toContain(`| \`${sha256(tweetsZip)}\` |`);
    expect(summary).toContain(tweetsZip.length.toLocaleString('en-US'));

    // Refused credentials fail the step with the secrets' names.
    let refused = '';
    const bad = await main(['dataset', '--source', 'kaggle', '--out', 'x.ndjson'], {
      stdout: () => undefined,
      stderr: (t) => (refused += t),
      env: { ...env, KAGGLE_KEY: 'wrong', DATASET_CACHE: 'off' },
      cwd: work,
    });
    expect(bad).toBe(1);
    expect(refused).toMatch(/dataset: Kaggle refused the credentials .*KAGGLE_USERNAME.*KAGGLE_KEY/);
  });
});
