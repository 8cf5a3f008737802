import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import {
  createLocalGatewayConfig,
  startGateway,
  type GatewayOptions,
  type LocalGatewayConfig,
  type RunningGateway,
} from '../src';

export const REPO_POLICIES = join(__dirname, '../../../policies');

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP backend on an ephemeral port that records what reaches it and answers like ingest. */
export async function startBackend(
  status = 202,
): Promise<{ url: string; received: RecordedRequest[]; close(): Promise<void> }> {
  const received: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ accepted: 1, ids: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A temporary policies folder: the given XML files plus the repository's APIM schemas. */
export function policiesDir(files: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-policies-'));
  cpSync(join(REPO_POLICIES, 'schemas'), join(dir, 'schemas'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestGateway {
  gateway: RunningGateway;
  config: LocalGatewayConfig;
  logs: Record<string, unknown>[];
  /** Headers that pass the repository's policies: primary key and the basic-auth credential. */
  goodHeaders: Record<string, string>;
}

export async function startTestGateway(
  backendUrl: string,
  options: Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const config = createLocalGatewayConfig({ dashboardOrigin: 'http://dashboard.local:8080' });
  const logs: Record<string, unknown>[] = [];
  const gateway = await startGateway({
    port: 0,
    policiesDir: REPO_POLICIES,
    backendUrl,
    namedValues: config.namedValues,
    subscriptions: config.subscriptions,
    logger: (line) => logs.push(line as Record<string, unknown>),
    ...options,
  });
  return {
    gateway,
    config,
    logs,
    goodHeaders: {
      'content-type': 'application/json',
      'ocp-apim-subscription-key': config.subscriptions[0]!.primaryKey,
      authorization: config.namedValues['basic-auth-header']!,
    },
  };
}

export const agent = new Agent({ keepAliveTimeout: 1000 });

export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string>; text: string; json: () => unknown }> {
  const response = await request(url, {
    dispatcher: agent,
    method: (init.method ?? 'POST') as 'POST',
    headers: init.headers,
    body: init.body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: response.statusCode, headers, text, json: () => JSON.parse(text) as unknown };
}

let counter = 0;
/** A valid TweetEvent (the message contract), ids unique per call. */
export function validEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    schemaVersion: 1,
    id: counter.toString(16).padStart(32, '0'),
    tweetId: String(900000000000000000n + BigInt(counter)),
    createdAt: '2017-08-25T20:05:00Z',
    text: `Harvey update ${counter}`,
    retweets: 1,
    replies: 0,
    likes: 3,
    ...overrides,
  };
}

/** A minimal valid policy document with the given inbound statements (and base elsewhere). */
export function policyXml(
  inbound: string,
  extra: { backend?: string; outbound?: string; onError?: string } = {},
): string {
  return `<policies>
  <inbound>${inbound}</inbound>
  <backend>${extra.backend ?? '<base />'}</backend>
  <outbound>${extra.outbound ?? '<base />'}</outbound>
  <on-error>${extra.onError ?? '<base />'}</on-error>
</policies>
`;
}

export const GLOBAL_FORWARD = policyXml('', { backend: '<forward-request />', outbound: '', onError: '' });
