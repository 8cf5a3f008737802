import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Kaggle's dataset API on loopback, for tests (Kaggle's servers cannot be reached here).
 * It answers what the real clients expect (Kaggle/kagglehub `clients.py`, `http_resolver.py`):
 * - basic auth on every API call; wrong or missing credentials get 401 (JSON `{code, message}`);
 * - `GET /api/v1/datasets/view/{owner}/{slug}` -> `{ ref, currentVersionNumber }`;
 * - `GET /api/v1/datasets/download/{owner}/{slug}[?dataset_version_number=n]` -> 302 to a signed URL
 *   on a second server (another origin, as Google Cloud Storage is), which serves the zip with
 *   `Content-Length`, `Accept-Ranges: bytes` and `x-goog-hash: crc32c=…,md5=…`;
 * - an unknown dataset or version -> 404.
 * Faults are queued with `failNext` and each spoils one download request.
 */
export interface FakeDataset {
  readonly zip: Buffer;
  /** The current version number (default 1). Only this version can be downloaded. */
  readonly version?: number;
}

export type FakeKaggleFault =
  /** The API answers 401 whatever the credentials. */
  | 'unauthorized'
  /** The API answers 403 (rules not accepted). */
  | 'forbidden'
  /** The API answers 500. */
  | 'server-error'
  /** The API answers 503 with `Retry-After: 0`. */
  | 'unavailable'
  /** Storage announces the full Content-Length, sends half and drops the connection. */
  | 'truncate'
  /** Storage sends every byte, one of them flipped (the MD5 in x-goog-hash no longer matches). */
  | 'corrupt'
  /** Storage sends half the archive chunked, without length or hash, and ends cleanly. */
  | 'short-chunked';

export interface FakeKaggleRequest {
  readonly server: 'api' | 'storage';
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

export interface FakeKaggleOptions {
  readonly username: string;
  readonly key: string;
  readonly datasets: Readonly<Record<string, FakeDataset>>;
  /** Answer the zip from the API itself instead of redirecting to storage (default false). */
  readonly direct?: boolean;
}

export interface FakeKaggle {
  /** The API base to give the client (`http://127.0.0.1:<port>/api/v1`). */
  readonly baseUrl: string;
  readonly requests: FakeKaggleRequest[];
  /** Downloads of archive bytes that started (storage, or the API when direct). */
  downloads(): number;
  failNext(...faults: FakeKaggleFault[]): void;
  setDataset(ref: string, dataset: FakeDataset): void;
  close(): Promise<void>;
}

export async function startFakeKaggle(options: FakeKaggleOptions): Promise<FakeKaggle> {
  const datasets = new Map(Object.entries(options.datasets));
  const faults: FakeKaggleFault[] = [];
  const requests: FakeKaggleRequest[] = [];
  const expected = `Basic ${Buffer.from(`${options.username}:${options.key}`).toString('base64')}`;
  let downloads = 0;

  const record = (server: 'api' | 'storage', req: IncomingMessage) =>
    requests.push({
      server,
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const serveZip = (res: ServerResponse, zip: Buffer) => {
    downloads++;
    const fault =
      faults[0] === 'truncate' || faults[0] === 'corrupt' || faults[0] === 'short-chunked'
        ? faults.shift()
        : undefined;
    const md5 = createHash('md5').update(zip).digest('base64');
    if (fault === 'short-chunked') {
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(zip.subarray(0, Math.floor(zip.length / 2)));
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(zip.length),
      'accept-ranges': 'bytes',
      'x-goog-hash': `crc32c=AAAAAA==,md5=${md5}`,
    });
    if (fault === 'truncate') {
      res.write(zip.subarray(0, Math.floor(zip.length / 2)), () => res.destroy());
      return;
    }
    if (fault === 'corrupt') {
      const copy = Buffer.from(zip);
      copy[Math.floor(copy.length / 3)]! ^= 0xff;
      res.end(copy);
      return;
    }
    res.end(zip);
  };

  const storage = createServer((req, res) => {
    record('storage', req);
    const match = /^\/bucket\/([^/]+)\/([^/?]+)\/archive\.zip\?X-Goog-Signature=signed$/.exec(req.url ?? '');
    const dataset = match
      ? datasets.get(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`)
      : undefined;
    if (!dataset) return json(res, 403, { error: 'SignatureDoesNotMatch' });
    serveZip(res, dataset.zip);
  });

  const api = createServer((req, res) => {
    record('api', req);
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.headers.authorization !== expected)
      return json(res, 401, { code: 401, message: 'Unauthenticated' });
    const apiFault =
      faults[0] === 'unauthorized' ||
      faults[0] === 'forbidden' ||
      faults[0] === 'server-error' ||
      faults[0] === 'unavailable'
        ? faults.shift()
        : undefined;
    if (apiFault === 'unauthorized') return json(res, 401, { code: 401, message: 'Unauthenticated' });
    if (apiFault === 'forbidden') return json(res, 403, { code: 403, message: 'Permission denied' });
    if (apiFault === 'server-error') return json(res, 500, { code: 500, message: 'Internal error' });
    if (apiFault === 'unavailable')
      return json(res, 503, { code: 503, message: 'Unavailable' }, { 'retry-after': '0' });

    const route = /^\/api\/v1\/datasets\/(view|download)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const ref = route ? `${decodeURIComponent(route[2]!)}/${decodeURIComponent(route[3]!)}` : '';
    const dataset = datasets.get(ref);
    if (!route || !dataset) return json(res, 404, { code: 404, message: 'Not found' });
    const version = dataset.version ?? 1;
    if (route[1] === 'view') return json(res, 200, { ref, currentVersionNumber: version });
    const wanted = url.searchParams.get('dataset_version_number');
    if (wanted !== null && Number(wanted) !== version)
      return json(res, 404, { code: 404, message: 'Version not found' });
    if (options.direct) return serveZip(res, dataset.zip);
    const location = `${storageBase}/bucket/${encodeURIComponent(route[2]!)}/${encodeURIComponent(route[3]!)}/archive.zip?X-Goog-Signature=signed`;
    res.writeHead(302, { location });
    res.end();
  });

  const listen = (server: Server) => {
    // Node closes a kept-alive connection after 5 s idle by default, while fetch (undici) reuses it for
    // up to 4 s: on a loaded machine the two timers cross and a request goes out on a socket the server
    // is closing ("other side closed"), an extra retry the tests do not expect (seen in full runs at
    // load ~12, not alone). A long idle timeout keeps that race out of the tests.
    server.keepAliveTimeout = 60_000;
    return new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  };
  const storageBase = `http://127.0.0.1:${await listen(storage)}`;
  const apiPort = await listen(api);
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    baseUrl: `http://127.0.0.1:${apiPort}/api/v1`,
    requests,
    downloads: () => downloads,
    failNext: (...more) => faults.push(...more),
    setDataset: (ref, dataset) => datasets.set(ref, dataset),
    close: async () => {
      await Promise.all([close(api), close(storage)]);
    },
  };
}
