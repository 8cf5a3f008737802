import { open, rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface DownloadOptions {
  /** Bearer token for Azure Storage (Entra ID; the accounts have shared keys disabled). */
  readonly storageToken?: string | undefined;
  /** Refuse bodies larger than this. */
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly lines: number;
}

/** Blob endpoints get the token and the API version header Azure Storage requires for it. */
export function isAzureBlobUrl(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname.endsWith('.blob.core.windows.net');
}

/**
 * Streams an NDJSON file to disk (never into memory), counting lines, and fails on a non-2xx status,
 * a body over the limit, or a first line that is not a JSON object. The file appears only complete.
 */
export async function downloadNdjson(
  source: string,
  out: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const url = new URL(source);
  const headers: Record<string, string> = {
    accept: 'application/x-ndjson, application/json, text/plain, */*',
  };
  if (isAzureBlobUrl(url)) {
    if (!options.storageToken)
      throw new Error('an Azure Blob URL needs a storage token (AZURE_STORAGE_TOKEN)');
    headers.authorization = `Bearer ${options.storageToken}`;
    headers['x-ms-version'] = '2023-11-03';
  }
  const response = await fetch(url, {
    headers,
    redirect: 'follow',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok || !response.body) {
    const detail = (await response.text().catch(() => '')).slice(0, 200);
    throw new Error(
      `GET ${url.origin}${url.pathname} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    );
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    throw new Error(`the dataset is ${declared} bytes, over the ${options.maxBytes}-byte limit`);
  }
  let bytes = 0;
  let lines = 0;
  let last = 0x0a;
  let head = '';
  let checked = false;
  const check = (final: boolean) => {
    if (checked) return;
    const end = head.indexOf('\n');
    if (end < 0 && !final) return;
    const first = (end < 0 ? head : head.slice(0, end)).trim();
    checked = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(first);
    } catch {
      throw new Error('the dataset is not NDJSON: its first line is not JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the dataset is not NDJSON of events: its first line is not a JSON object');
    }
  };
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > options.maxBytes)
        return callback(new Error(`the dataset is over the ${options.maxBytes}-byte limit`));
      for (const byte of chunk) if (byte === 0x0a) lines++;
      if (chunk.length) last = chunk[chunk.length - 1]!;
      try {
        if (!checked) {
          head += chunk.toString('utf8');
          check(false);
        }
      } catch (error) {
        return callback(error as Error);
      }
      callback(null, chunk);
    },
    flush(callback) {
      try {
        check(true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const partial = `${out}.partial`;
  // Open before streaming, so a failure cannot race the file's creation against its removal.
  const handle = await open(partial, 'w');
  try {
    // The stream closes the handle when it finishes or fails.
    await pipeline(Readable.fromWeb(response.body as never), meter, handle.createWriteStream());
    await rename(partial, out);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
  // A last line without its newline is still a line.
  return { bytes, lines: lines + (last === 0x0a ? 0 : 1) };
}
