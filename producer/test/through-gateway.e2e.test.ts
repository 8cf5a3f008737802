import { join } from 'node:path';
import { createLocalGatewayConfig, startGateway, type RunningGateway } from '@pipeline/gateway';
import { apiBaseUrl } from '@pipeline/schemas';
import { replay } from '../src';
import { TestServer } from './server';

jest.setTimeout(120_000);

const SAMPLE_EVENTS = join(__dirname, '..', 'sample', 'events.ndjson');
const POLICIES = join(__dirname, '..', '..', 'policies');

/**
 * The real producer through the real local gateway (the repository's policies, Consumption tier: 100
 * KiB validated per body) in front of a recording backend: the committed sample with its images.
 */
describe('the sample through the gateway with the strict body limit', () => {
  const backend = new TestServer();
  let gateway: RunningGateway;
  let auth: { subscriptionKey: string; basicUser: string; basicPassword: string };
  const log: { status?: number; bytesIn?: number; msg?: string }[] = [];

  beforeAll(async () => {
    const backendUrl = await backend.start();
    const config = createLocalGatewayConfig();
    gateway = await startGateway({
      port: 0,
      policiesDir: POLICIES,
      backendUrl: `${backendUrl}/api`,
      namedValues: config.namedValues,
      subscriptions: config.subscriptions,
      tier: 'Consumption',
      logger: (line) => log.push(line),
    });
    auth = {
      subscriptionKey: config.subscriptions[0]!.primaryKey,
      basicUser: config.basicAuth.user,
      basicPassword: config.basicAuth.password,
    };
  });
  afterAll(async () => {
    await gateway?.stop();
    await backend.stop();
  });
  beforeEach(() => {
    backend.reset();
    log.length = 0;
  });

  const requests = () => log.filter((line) => line.msg === 'request');

  it('is accepted whole, every request under 100 KiB, no 400 or 413 (default batch of 50)', async () => {
    const report = await replay({
      input: SAMPLE_EVENTS,
      url: apiBaseUrl(gateway.url),
      rate: Infinity,
      ...auth,
    });
    expect(report.events).toMatchObject({ read: 300, accepted: 300, rejected: 0, failed: 0 });
    expect(report.requests.byStatus).toEqual({ '202': report.requests.total });
    expect(report.requests.splits).toBe(0);
    const sizes = requests().map((line) => line.bytesIn ?? 0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(102_400);
    expect(requests().every((line) => line.status === 202)).toBe(true);
    expect(new Set(backend.received.flatMap((request) => request.ids)).size).toBe(300);
  });

  it('without byte sizing (4 MiB bodies) the gateway refuses and the producer only gets through by bisecting', async () => {
    const report = await replay({
      input: SAMPLE_EVENTS,
      url: apiBaseUrl(gateway.url),
      rate: Infinity,
      maxRequestBytes: 4 * 1024 * 1024,
      ...auth,
    });
    // Still nothing lost: the 400s (APIM's size error, no event index) are split, never resent whole.
    expect(report.events).toMatchObject({ accepted: 300, rejected: 0, failed: 0 });
    expect(report.requests.byStatus['400']).toBeGreaterThan(0);
    expect(report.requests.splits).toBeGreaterThan(0);
  });
});
