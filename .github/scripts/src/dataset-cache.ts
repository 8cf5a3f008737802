import { createHash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContainerClient, RestError, type StoragePipelineOptions } from '@azure/storage-blob';
import { PIPELINE_NAMES } from '@pipeline/schemas';

/** The container in the pipeline's data storage account that keeps prepared datasets (cdktf creates it). */
export const DATASETS_CONTAINER = PIPELINE_NAMES.containers.datasets;

/** A source file of a prepared dataset: the download it came from, and its bytes' identity. */
export interface SourceFile {
  readonly dataset: string;
  /** The dataset's version on Kaggle, when it was pinned. */
  readonly version?: number | undefined;
  readonly bytes: number;
  readonly sha256: string;
}

/** What a cached dataset is: enough to trust the NDJSON without its sources. */
export interface CacheManifest {
  readonly format: 1;
  readonly prepareVersion: number;
  readonly seed: string;
  readonly sources: readonly SourceFile[];
  /** The NDJSON blob, named by the sources' SHA-256s, the prepare version and the seed. */
  readonly blob: string;
  readonly events: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly createdAt: string;
}

export interface DatasetKey {
  readonly prepareVersion: number;
  readonly seed: string;
}

const SLUG = /^[A-Za-z0-9_.-]+$/;

function part(value: string, what: string): string {
  if (!SLUG.test(value)) throw new Error(`cannot name a cache blob after ${what} ${JSON.stringify(value)}`);
  return value;
}

/**
 * The NDJSON's name: the content of every source (SHA-256, in the order given: tweets, then images),
 * the prepare version and the seed, so the same bytes prepared the same way always land on the same
 * blob, and a new prepare version never reads an old output.
 */
export function eventsBlobName(sources: readonly SourceFile[], key: DatasetKey): string {
  for (const s of sources) if (!/^[0-9a-f]{64}$/.test(s.sha256)) throw new Error(`bad SHA-256 ${s.sha256}`);
  return `kaggle/events/${sources.map((s) => s.sha256).join('-')}/prepare-v${key.prepareVersion}-seed-${part(key.seed, 'seed')}.ndjson`;
}

/** The manifest kept beside the NDJSON: what a lookup by content (after a download) reads. */
export function contentManifestName(sources: readonly SourceFile[], key: DatasetKey): string {
  return eventsBlobName(sources, key).replace(/\.ndjson$/, '.json');
}

/**
 * The manifest's name when every dataset's version is pinned: Kaggle versions never change once
 * published, so a version-pinned lookup finds the NDJSON before anything is downloaded. Undefined when
 * some version is unknown: then only the content name (after a download) can be looked up.
 */
export function manifestBlobName(
  datasets: readonly { dataset: string; version?: number | undefined }[],
  key: DatasetKey,
): string | undefined {
  if (datasets.some((d) => d.version === undefined)) return undefined;
  const id = datasets.map((d) => `${part(d.dataset.replace('/', '.'), 'dataset')}@${d.version}`).join('+');
  return `kaggle/manifests/${id}/prepare-v${key.prepareVersion}-seed-${part(key.seed, 'seed')}.json`;
}

/** A bearer token already obtained (`az account get-access-token --resource https://storage.azure.com/`). */
export function staticTokenCredential(token: string): {
  getToken(): Promise<{ token: string; expiresOnTimestamp: number }>;
} {
  // The CLI's tokens live 60 to 90 minutes; the cache is read and written within the step that got it.
  return { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 30 * 60_000 }) };
}

/** The workflow's container client: Entra ID only (the account has shared keys disabled). */
export function datasetsContainer(
  account: string,
  token: string,
  options?: StoragePipelineOptions,
): ContainerClient {
  if (!/^[a-z0-9]{3,24}$/.test(account))
    throw new Error(`not a storage account name: ${JSON.stringify(account)}`);
  return new ContainerClient(
    `https://${account}.blob.core.windows.net/${DATASETS_CONTAINER}`,
    staticTokenCredential(token),
    options,
  );
}

/**
 * Prepared datasets kept in blob storage, read and written with the caller's identity. Every read is
 * checked against the manifest's SHA-256; a blob that does not match is reported as a miss, never used.
 */
export class DatasetCache {
  constructor(readonly container: ContainerClient) {}

  /** The manifest at `name`, or undefined when there is none. */
  async manifest(name: string): Promise<CacheManifest | undefined> {
    try {
      const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
      const manifest = JSON.parse(buffer.toString('utf8')) as CacheManifest;
      if (
        manifest.format !== 1 ||
        typeof manifest.blob !== 'string' ||
        !/^[0-9a-f]{64}$/.test(manifest.sha256)
      )
        return undefined;
      return manifest;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Downloads the manifest's NDJSON to `out` (whole or not at all) and checks its size and SHA-256;
   * false when the blob is missing or differs from the manifest.
   */
  async fetch(manifest: CacheManifest, out: string): Promise<boolean> {
    const partial = `${out}.partial`;
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const response = await this.container
        .getBlockBlobClient(manifest.blob)
        .download(0, undefined, { maxRetryRequests: 5 });
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      const handle = await open(partial, 'w');
      await pipeline(response.readableStreamBody!, meter, handle.createWriteStream());
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof RestError && error.statusCode === 404) return false;
      throw error;
    }
    if (bytes !== manifest.bytes || hash.digest('hex') !== manifest.sha256) {
      await rm(partial, { force: true });
      return false;
    }
    await rename(partial, out);
    return true;
  }

  /**
   * Uploads the NDJSON under its content name, then the manifest under each name given (the
   * version-pinned one and the content one): a reader that finds a manifest finds its blob.
   */
  async store(
    file: string,
    sources: readonly SourceFile[],
    key: DatasetKey,
    events: number,
    manifestNames: readonly string[],
  ): Promise<CacheManifest> {
    const blob = eventsBlobName(sources, key);
    const { size } = await stat(file);
    const hash = createHash('sha256');
    const handle = await open(file, 'r');
    try {
      for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    } finally {
      await handle.close();
    }
    const manifest: CacheManifest = {
      format: 1,
      prepareVersion: key.prepareVersion,
      seed: key.seed,
      sources,
      blob,
      events,
      bytes: size,
      sha256: hash.digest('hex'),
      createdAt: new Date().toISOString(),
    };
    await this.container.getBlockBlobClient(blob).uploadFile(file, {
      blockSize: 8 * 1024 * 1024,
      concurrency: 4,
      blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
      metadata: { prepareversion: String(key.prepareVersion), seed: key.seed, events: String(events) },
    });
    for (const name of manifestNames) await this.writeManifest(name, manifest);
    return manifest;
  }

  async writeManifest(name: string, manifest: CacheManifest): Promise<void> {
    const body = JSON.stringify(manifest, null, 2) + '\n';
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }
}
