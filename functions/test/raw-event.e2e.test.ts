import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { AZURITE_ACCOUNT_KEY, COSMOS_EMULATOR_KEY } from '@pipeline/emulators';
import type { HubEvent, TweetEvent } from '@pipeline/schemas';
import { createIngestHandler } from '../src/functions/ingest';
import { azureIngestSinks } from '../src/lib/azure-sinks';
import { closeClients } from '../src/lib/clients';
import { positionsFromTriggerMetadata, processBatch } from '../src/lib/consume-core';
import { StoredImages } from '../src/lib/stored-images';
import { rawCommand } from '../src/tools/raw-cli';
import { postRequest, quietContext, startTestServices, type TestServices } from './support';
import { tweetEvent } from './events';

/**
 * `npm run raw -- <id>` against real Azurite and the Cosmos DB emulator: events go through the ingest
 * handler (archive and images in Azurite), their hub events become Cosmos documents as the consumer
 * makes them, and the command reads the settings file the local stack writes (identity-style endpoint
 * settings plus the local key), exactly as a developer runs it.
 */
let services: TestServices;
let work: string;
let settingsFile: string;
const events: TweetEvent[] = [
  tweetEvent(1),
  tweetEvent(2, { withImage: false }),
  tweetEvent(3, { imageSeed: 1 }),
];

beforeAll(async () => {
  services = await startTestServices();
  const published: HubEvent[] = [];
  const ingest = createIngestHandler(() => ({
    ...azureIngestSinks(new StoredImages()),
    publish: (batch) => Promise.resolve(void published.push(...batch)),
  }));
  const body = JSON.stringify(events);
  const response = await ingest(
    postRequest(body, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    }),
    quietContext(),
  );
  expect(response.status).toBe(202);
  const metadata = {
    partitionContext: { partitionId: '0', eventHubName: 'tweets', consumerGroup: 'cosmos-writer' },
    enqueuedTimeUtcArray: published.map(() => '2026-12-06T12:00:00.000Z'),
    sequenceNumberArray: published.map((_, i) => i),
    offsetArray: published.map((_, i) => String(i)),
  };
  const { documents } = processBatch(
    published,
    positionsFromTriggerMetadata(metadata, published.length),
    new Date('2026-12-06T12:00:01Z'),
  );
  for (const document of documents) await services.events.items.upsert(document);

  // The settings as the local stack writes them (local/stack/src/settings.ts), and no bare
  // connection strings in the environment: the command must take its connections from the file.
  work = mkdtempSync(join(tmpdir(), 'raw-event-'));
  settingsFile = join(work, 'functions.settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      Values: {
        PipelineStorage__blobServiceUri: services.azurite.blobEndpoint,
        PipelineStorage__accountKey: AZURITE_ACCOUNT_KEY,
        CosmosDb__accountEndpoint: services.cosmos.endpoint,
        CosmosDb__accountKey: COSMOS_EMULATOR_KEY,
      },
    }),
  );
  delete process.env.PipelineStorage;
  delete process.env.CosmosDb;
  await closeClients();
}, 60_000);

afterAll(async () => {
  await services?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function raw(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await rawCommand({ argv, stdout, stderr, repoRoot: work });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('npm run raw -- <event id>', () => {
  it('prints the archived event: as received, with its image as a reference', async () => {
    const result = await raw(events[2]!.id, '--settings', settingsFile);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    const { image, ...rest } = events[2]!;
    expect(printed).toMatchObject(rest);
    expect(printed.image).toMatchObject({
      label: image!.label,
      blob: expect.stringMatching(/\.jpeg$/) as unknown,
    });
    expect(result.stdout).not.toContain(image!.data.slice(0, 40));
  });

  it('with --original, re-joins the image bytes: the event exactly as the producer sent it', async () => {
    for (const event of events) {
      const result = await raw(event.id, '--original', '--settings', settingsFile);
      expect(result.code).toBe(0);
      // Same fields, same values, same order.
      expect(JSON.stringify(JSON.parse(result.stdout))).toBe(JSON.stringify(event));
    }
  });

  it('with --location, names the request archive and the line', async () => {
    const result = await raw(events[1]!.id, '--location', '--settings', settingsFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^2017\/08\/25\/[0-9a-f]{64}\.ndjson 1\n$/);
  });

  it('finds the local stack settings by default, under <repo>/local/.data', async () => {
    const local = join(work, 'local', '.data');
    mkdirSync(local, { recursive: true });
    copyFileSync(settingsFile, join(local, 'functions.settings.json'));
    expect((await raw(events[0]!.id, '--location')).code).toBe(0);
  });

  it('says why when the event is not there, and refuses bad arguments', async () => {
    const missing = await raw('0'.repeat(32), '--settings', settingsFile);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^no document 0{32} in Cosmos DB/);
    expect((await raw('not-an-id', '--settings', settingsFile)).stderr).toMatch(/is not an event id/);
    expect((await raw()).code).toBe(2);
    expect((await raw('a'.repeat(32), '--blob-endpoint', 'https://x.blob.core.windows.net')).code).toBe(2);
    expect((await raw('a'.repeat(32), '--settings', join(work, 'none.json'))).stderr).toMatch(
      /no settings file/,
    );
  });
});
