import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { validateTweetEvent, type TweetEvent } from '@pipeline/schemas';
import {
  KAGGLE_DATASETS,
  KaggleClient,
  KaggleError,
  archiveName,
  resolveVersions,
  runCli,
  startFakeKaggle,
  type FakeKaggle,
} from '../src';
import { SAMPLE, sampleImagesZip, sampleTweetsZip } from './kaggle-archives';

const CREDENTIALS = { username: 'harvey-fan', key: 'k-0123456789abcdef' };
const tweetsZip = sampleTweetsZip();
const imagesZip = sampleImagesZip({ dataDescriptor: true });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let fake: FakeKaggle;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'producer-kaggle-'));
  fake = await startFakeKaggle({
    ...CREDENTIALS,
    datasets: {
      [KAGGLE_DATASETS.tweets]: { zip: tweetsZip, version: 3 },
      [KAGGLE_DATASETS.images]: { zip: imagesZip, version: 1 },
    },
  });
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.requests.length = 0;
});

function client(options: Partial<ConstructorParameters<typeof KaggleClient>[0]> = {}): KaggleClient {
  return new KaggleClient({ credentials: CREDENTIALS, baseUrl: fake.baseUrl, retryBaseMs: 1, ...options });
}

async function failure(promise: Promise<unknown>): Promise<KaggleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KaggleError);
  return error as KaggleError;
}

describe('downloading a dataset from the Kaggle API', () => {
  it('follows the redirect to storage, sends the credentials to Kaggle only, and reports size and SHA-256', async () => {
    const out = join(dir, 'tweets.zip');
    const [pinned] = await resolveVersions(client(), [KAGGLE_DATASETS.tweets]);
    expect(pinned).toEqual({ dataset: KAGGLE_DATASETS.tweets, version: 3 });
    const result = await client().download(KAGGLE_DATASETS.tweets, out, 3);
    expect(await readFile(out)).toEqual(tweetsZip);
    expect(result).toMatchObject({
      dataset: KAGGLE_DATASETS.tweets,
      version: 3,
      bytes: tweetsZip.length,
      sha256: sha256(tweetsZip),
      md5Verified: true,
      attempts: 1,
    });
    const expected = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.key}`).toString('base64')}`;
    const api = fake.requests.filter((r) => r.server === 'api');
    expect(api.map((r) => r.url)).toEqual([
      '/api/v1/datasets/view/dan195/hurricaneharvey',
      '/api/v1/datasets/download/dan195/hurricaneharvey?dataset_version_number=3',
    ]);
    expect(api.every((r) => r.authorization === expected)).toBe(true);
    const storage = fake.requests.filter((r) => r.server === 'storage');
    expect(storage).toHaveLength(1);
    expect(storage[0]!.authorization).toBeUndefined();
  });

  it('takes the zip answered directly, without a redirect', async () => {
    const direct = await startFakeKaggle({
      ...CREDENTIALS,
      direct: true,
      datasets: { [KAGGLE_DATASETS.images]: { zip: imagesZip } },
    });
    try {
      const out = join(dir, 'direct.zip');
      const result = await new KaggleClient({ credentials: CREDENTIALS, baseUrl: direct.baseUrl }).download(
        KAGGLE_DATASETS.images,
        out,
      );
      expect(result.sha256).toBe(sha256(imagesZip));
      expect(direct.requests.map((r) => r.server)).toEqual(['api']);
    } finally {
      await direct.close();
    }
  });

  it('names the secrets on 401 and 403, and does not retry them', async () => {
    const wrong = new KaggleClient({
      credentials: { ...CREDENTIALS, key: 'wrong' },
      baseUrl: fake.baseUrl,
      retryBaseMs: 1,
    });
    const unauthorized = await failure(wrong.download(KAGGLE_DATASETS.tweets, join(dir, 'no.zip')));
    expect(unauthorized).toMatchObject({ kind: 'credentials', status: 401 });
    expect(unauthorized.message).toMatch(/KAGGLE_USERNAME.*KAGGLE_KEY/);
    expect(fake.requests).toHaveLength(1);

    fake.failNext('forbidden');
    const forbidden = await failure(client().download(KAGGLE_DATASETS.tweets, join(dir, 'no.zip')));
    expect(forbidden).toMatchObject({ kind: 'credentials', status: 403 });
    expect(forbidden.message).toMatch(/rules must be accepted/);
    expect(existsSync(join(dir, 'no.zip.partial'))).toBe(false);

    expect(() => new KaggleClient({ credentials: { username: '', key: '' } })).toThrow(
      /KAGGLE_USERNAME and KAGGLE_KEY/,
    );
  });

  it('says the dataset may have been renamed on 404, for the metadata and the download', async () => {
    const missing = await failure(client().download('dan195/hurricane-harvey-renamed', join(dir, 'x.zip')));
    expect(missing).toMatchObject({ kind: 'not-found', status: 404 });
    expect(missing.message).toMatch(
      /renamed or removed\? Open https:\/\/www\.kaggle\.com\/datasets\/dan195\/hurricane-harvey-renamed/,
    );
    await expect(resolveVersions(client(), ['nobody/nothing'])).rejects.toMatchObject({ kind: 'not-found' });
    // A version that does not exist is a 404 too, not a silent download of another one.
    await expect(client().download(KAGGLE_DATASETS.tweets, join(dir, 'x.zip'), 2)).rejects.toMatchObject({
      kind: 'not-found',
    });
  });

  it.each([
    ['truncate', /broke off after \d+ of \d+ bytes|truncated: \d+ of the \d+ bytes/],
    ['corrupt', /damaged: its MD5 is .*x-goog-hash says/],
    ['short-chunked', /not a complete zip archive/],
  ] as const)('detects a %s download, retries it, and leaves no partial file', async (fault, message) => {
    const out = join(dir, `${fault}.zip`);
    const retries: string[] = [];
    fake.failNext(fault);
    const result = await client({ onRetry: (line) => retries.push(line) }).download(
      KAGGLE_DATASETS.images,
      out,
    );
    expect(result).toMatchObject({ attempts: 2, sha256: sha256(imagesZip), bytes: imagesZip.length });
    expect(await readFile(out)).toEqual(imagesZip);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(message);

    fake.failNext(fault);
    const error = await failure(
      client({ retries: 0 }).download(KAGGLE_DATASETS.images, join(dir, `${fault}-2.zip`)),
    );
    expect(error.kind).toBe('truncated');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/gave up after 1 attempts/);
    expect((await readdir(dir)).filter((name) => name.includes(`${fault}-2`))).toEqual([]);
  });

  it('retries 5xx with backoff (honouring Retry-After) and gives up with the status after the last retry', async () => {
    fake.failNext('unavailable', 'server-error');
    const result = await client().download(KAGGLE_DATASETS.tweets, join(dir, 'retried.zip'));
    expect(result.attempts).toBe(3);
    fake.failNext('server-error', 'server-error', 'server-error');
    const error = await failure(
      client({ retries: 2 }).download(KAGGLE_DATASETS.tweets, join(dir, 'never.zip')),
    );
    expect(error).toMatchObject({ kind: 'http', status: 500 });
    expect(error.message).toMatch(/answered 500.*gave up after 3 attempts/);
  });

  it('reports progress with the announced size', async () => {
    const seen: { received: number; total: number | undefined }[] = [];
    await client({ onProgress: ({ received, total }) => seen.push({ received, total }) }).download(
      KAGGLE_DATASETS.images,
      join(dir, 'progress.zip'),
    );
    expect(seen.at(-1)).toEqual({ received: imagesZip.length, total: imagesZip.length });
  });
});

describe('producer download, then prepare from the archives (fake Kaggle -> NDJSON)', () => {
  function io(env: NodeJS.ProcessEnv) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    return { io: { stdout, stderr, env }, out: () => out, err: () => err };
  }

  it('downloads both datasets and prepares events the producer accepts, equal to the committed sample', async () => {
    const downloads = join(dir, 'downloads');
    const env = {
      KAGGLE_USERNAME: CREDENTIALS.username,
      KAGGLE_KEY: CREDENTIALS.key,
      KAGGLE_API_URL: fake.baseUrl,
    };
    const download = io(env);
    expect(await runCli(['download', '--out-dir', downloads, '--json'], download.io)).toBe(0);
    const report = JSON.parse(download.out()) as {
      downloaded: { dataset: string; bytes: number; sha256: string }[];
    };
    expect(report.downloaded.map(({ dataset, bytes, sha256 }) => ({ dataset, bytes, sha256 }))).toEqual([
      { dataset: KAGGLE_DATASETS.tweets, bytes: tweetsZip.length, sha256: sha256(tweetsZip) },
      { dataset: KAGGLE_DATASETS.images, bytes: imagesZip.length, sha256: sha256(imagesZip) },
    ]);
    // Not a terminal: plain progress lines, then one line per file with its size and hash.
    expect(
      download.err().match(/download: dan195\/hurricaneharvey [\d.]+\/[\d.]+ MB \(100%\)/g),
    ).toHaveLength(1);
    expect(download.err()).toContain(`sha256 ${sha256(imagesZip)}`);

    const out = join(dir, 'kaggle.ndjson');
    const prepare = io({});
    expect(
      await runCli(
        [
          'prepare',
          '--tweets',
          join(downloads, archiveName(KAGGLE_DATASETS.tweets)),
          '--images',
          join(downloads, archiveName(KAGGLE_DATASETS.images)),
          '--out',
          out,
        ],
        prepare.io,
      ),
    ).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toBe(await readFile(join(SAMPLE, 'events.ndjson'), 'utf8'));
    const events = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TweetEvent);
    expect(events).toHaveLength(300);
    expect(events.every((event) => validateTweetEvent(event).ok)).toBe(true);

    // The producer's own reader and pre-flight check accept the file as replay input.
    const dry = io({});
    expect(await runCli(['replay', '--input', out, '--dry-run', '--json', '--quiet'], dry.io)).toBe(0);
    expect(JSON.parse(dry.out())).toMatchObject({ events: { read: 300, rejected: 0 } });
  });

  it('exits 4 naming the variables when the credentials are missing or refused', async () => {
    const none = io({ KAGGLE_API_URL: fake.baseUrl });
    expect(await runCli(['download', '--out-dir', join(dir, 'none')], none.io)).toBe(4);
    expect(none.err()).toMatch(/KAGGLE_USERNAME and KAGGLE_KEY/);
    const refused = io({ KAGGLE_USERNAME: 'x', KAGGLE_KEY: 'y', KAGGLE_API_URL: fake.baseUrl });
    expect(await runCli(['download', '--out-dir', join(dir, 'none')], refused.io)).toBe(4);
    expect(refused.err()).toMatch(/refused the credentials .*401/);
  });
});
