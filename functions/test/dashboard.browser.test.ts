import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EventHubProducerClient } from '@azure/event-hubs';
import { poll, spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { startEmulator, type RunningEmulator } from '@pipeline/eventhubs-emulator';
import type { ChildProcess } from 'node:child_process';
import type { TweetEvent } from '@pipeline/schemas';
import { findBrowser, isExecutableFile } from '../scripts/browser.cjs';
import { formatCount, formatDuration, shares } from '../src/shared/dashboard-model';
import type { Stats } from '@pipeline/schemas';
import { tweetEvent } from './events';
import { startTestServices, type TestServices } from './support';
import { functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

/**
 * The dashboard in a real browser (Chromium or Chrome via playwright-core: CHROME_PATH, else the usual places
 * of Linux, macOS or Windows, scripts/browser.cjs), served by the local Functions
 * host (local/functions-host: the same registered functions, key check and bindings as Azure) from tsc's
 * output, over Azurite, the Cosmos DB server and the Event Hubs emulator. Events are replayed through the
 * whole pipeline: POST /api/events -> ingest -> Event Hubs -> consume -> Cosmos DB -> stats -> page.
 * Build first: `npx tsc -b` (npm test does).
 */
const FUNCTIONS = join(__dirname, '..');
const HOST_CLI = join(FUNCTIONS, '../local/functions-host/dist/src/cli.js');
const APP_ENTRY = join(FUNCTIONS, 'dist/src/index.js');
const SCREENSHOTS = join(FUNCTIONS, '.artifacts/screenshots');
/** The browser (scripts/browser.cjs): CHROME_PATH, else the usual places of this system. */
const BROWSER = findBrowser({
  platform: process.platform,
  env: process.env,
  home: homedir(),
  isExecutable: isExecutableFile,
});
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];

/** Five distinct locations on the coast; the events below reuse them, so the map must dedupe. */
const LOCATIONS = [
  [-95.0613, 29.8312],
  [-95.3698, 29.7604],
  [-94.7977, 29.3013],
  [-95.6347, 29.5479],
  [-93.9399, 29.8849],
] as const;

function event(n: number): TweetEvent {
  const base = tweetEvent(n, { withImage: n % 4 !== 3 });
  if (base.image) {
    const [longitude, latitude] = LOCATIONS[n % LOCATIONS.length]!;
    base.image = { ...base.image, longitude, latitude, label: n % 3 === 0 ? 'damage' : 'no_damage' };
  }
  return base;
}

// Generous per-test budget: the stats endpoint answers in ~1 s alone but several under a loaded CI.
jest.setTimeout(60_000);

describe('dashboard in chromium, served by the local Functions host', () => {
  let services: TestServices;
  let hub: RunningEmulator;
  let host: ChildProcess | undefined;
  let baseUrl = '';
  let browser: Browser | undefined;
  const key = randomBytes(24).toString('base64url');
  const work = mkdtempSync(join(tmpdir(), 'dashboard-test-'));
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  const hostLog: string[] = [];

  /** A page in a fresh context (no cache, no session storage); `expectedStatus`: an answer it will log. */
  async function newPage(expectedStatus?: number): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (expectedStatus && message.text().includes(`status of ${expectedStatus}`)) return;
      consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    return page;
  }

  /** Polls an expression in the page (not waitForFunction: the page's CSP forbids eval, as it should). */
  async function waitUntil(page: Page, expression: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await page.evaluate(expression))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  async function statsFromEndpoint(): Promise<Stats> {
    const response = await fetch(`${baseUrl}/api/stats?latest=12`, { headers: { 'x-functions-key': key } });
    expect(response.status).toBe(200);
    return (await response.json()) as Stats;
  }

  /** Replays events through the public API of the host, then waits until the consumer has stored them. */
  async function replay(events: readonly TweetEvent[], expectStored: number): Promise<void> {
    const response = await fetch(ingestUrl(functionsBaseUrl(baseUrl)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': key },
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
    await waitForStats((s) => s.totals.stored === expectStored, `${expectStored} stored events`);
  }

  async function waitForStats(done: (stats: Stats) => boolean, what: string): Promise<Stats> {
    let last: Stats | undefined;
    const probe = async () => {
      last = await statsFromEndpoint();
      return done(last) && last;
    };
    const result = await poll(probe, { timeoutMs: 45_000, intervalMs: 250, rethrow: true });
    if (!result.ok) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.totals)}`);
    return result.value;
  }

  const text = (page: Page, stat: string) => page.locator(`[data-stat="${stat}"]`).first().innerText();

  beforeAll(async () => {
    for (const built of [HOST_CLI, APP_ENTRY])
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`npx tsc -b\` first`);
    if (!BROWSER.found) throw new Error(BROWSER.message);
    execFileSync(process.execPath, [join(FUNCTIONS, 'scripts/build-dashboard.mjs')], {
      cwd: FUNCTIONS,
      stdio: 'pipe',
    });
    [services, hub] = await Promise.all([
      startTestServices(),
      startEmulator({
        port: 0,
        logLevel: 'error',
        config: { eventHubs: [{ name: 'tweets', partitionCount: 2, consumerGroups: ['cosmos-writer'] }] },
      }),
    ]);
    const settingsFile = join(work, 'local.settings.json');
    writeFileSync(
      settingsFile,
      JSON.stringify({
        IsEncrypted: false,
        Values: {
          FUNCTIONS_WORKER_RUNTIME: 'node',
          AzureWebJobsStorage: services.azurite.connectionString,
          PipelineStorage: services.azurite.connectionString,
          CosmosDb: services.cosmos.connectionString,
          EventHub: hub.connectionString(),
          EVENTHUB_NAME: 'tweets',
          EVENTHUB_CONSUMER_GROUP: 'cosmos-writer',
          COSMOS_DATABASE: 'harvey',
          COSMOS_CONTAINER: 'events',
          STATS_CACHE_MS: '500',
        },
        FunctionKeys: { default: key },
      }),
    );
    const started = await spawnNodeUntilReady(
      'Functions host',
      HOST_CLI,
      ['--app', APP_ENTRY, '--settings', settingsFile, '--port', '0'],
      /Functions host listening on (http:\/\/\S+?)\s/,
      { timeoutMs: 30_000, onLine: (line) => hostLog.push(line) },
    );
    host = started.child;
    baseUrl = started.ready[1]!;
    browser = await chromium.launch({
      executablePath: BROWSER.path,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    // The host's log, for a person reading a failure: what each request got and why.
    writeFileSync(join(SCREENSHOTS, '..', 'dashboard-host.log'), hostLog.join('\n'));
    await browser?.close();
    if (host) await stopChild(host, 10_000);
    await Promise.all([services?.stop(), hub?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => {
    // Every request the page made stayed on loopback: no CDN, no fonts, no tiles, no telemetry.
    const outside = requests.filter(
      (url) => !/^(http:\/\/127\.0\.0\.1:\d+\/|blob:http:\/\/127\.0\.0\.1:\d+\/|data:)/.test(url),
    );
    expect(outside).toEqual([]);
  });

  it('serves the page anonymously but keeps the data behind the function key', async () => {
    const page = await fetch(`${baseUrl}/api/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const redirect = await fetch(`${baseUrl}/api/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('dashboard/');
    expect((await fetch(`${baseUrl}/api/stats`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/api/images/${'a'.repeat(64)}.jpeg`)).status).toBe(401);
  });

  it('asks for the key when it has none, then shows the designed empty state', async () => {
    const page = await newPage(401);
    await page.goto(`${baseUrl}/api/dashboard/`);
    await page.locator('body[data-state="unauthorized"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('#key-panel').isVisible()).resolves.toBe(true);
    await page.locator('#key-input').focus();
    await page.keyboard.type(key);
    await page.keyboard.press('Enter');
    await page.locator('body[data-state="empty"]').waitFor({ timeout: 30_000 });
    await expect(page.locator('#empty-state').isVisible()).resolves.toBe(true);
    await expect(page.locator('#error-banner').isVisible()).resolves.toBe(false);
    await expect(text(page, 'stored')).resolves.toBe('0');
    await page.screenshot({ path: join(SCREENSHOTS, 'empty-desktop-light.png'), fullPage: true });
    await page.context().close();
  });

  describe('with replayed events', () => {
    let page: Page;

    beforeAll(async () => {
      await replay(
        Array.from({ length: 24 }, (_, n) => event(n)),
        24,
      );
      // A poison message straight onto the hub (the API would have rejected it): the consumer dead-letters it.
      const producer = new EventHubProducerClient(hub.connectionString(), 'tweets');
      await producer.sendBatch([{ body: 'not json at all' }]);
      await producer.close();
      await waitForStats(
        (s) => s.deadLetters.count === 1 && s.consumerLag.available && s.consumerLag.events === 0,
        'the dead letter',
      );
      page = await newPage();
      await page.goto(`${baseUrl}/api/dashboard/#key=${key}`);
      await page.locator('body[data-state="ready"]').waitFor({ timeout: 30_000 });
      expect(page.url()).not.toContain(key); // the key left the address bar (it stays in this tab's storage)
      await page.evaluate("window.marker = 'same page'");
    });
    afterAll(() => page?.context().close());

    it('shows the same numbers as the stats endpoint', async () => {
      const stats = await statsFromEndpoint();
      expect(stats.totals).toEqual({ stored: 24, damage: 6, noDamage: 12, withoutImage: 6 });
      // Only the live view: no banner, no empty-state panel, no key form.
      for (const hidden of ['#error-banner', '#empty-state', '#key-panel'])
        await expect(page.locator(hidden).isVisible()).resolves.toBe(false);
      await expect(text(page, 'stored')).resolves.toBe(formatCount(stats.totals.stored));
      await expect(text(page, 'accepted')).resolves.toBe(formatCount(stats.accepted));
      await expect(text(page, 'dead-letters')).resolves.toBe('1');
      await expect(text(page, 'damage')).resolves.toBe(formatCount(stats.totals.damage));
      await expect(text(page, 'no-damage')).resolves.toBe(formatCount(stats.totals.noDamage));
      const share = shares(stats.totals.damage, stats.totals.noDamage)!;
      await expect(text(page, 'damage-share')).resolves.toBe(`(${share.a} %)`);
      await expect(text(page, 'without-image')).resolves.toBe(
        `${stats.totals.withoutImage} without an image`,
      );
      await expect(text(page, 'latency-p95')).resolves.toBe(formatDuration(stats.latency.hubToStoreMs.p95));
      await expect(page.locator('[data-latency="hub-p99"]').innerText()).resolves.toBe(
        formatDuration(stats.latency.hubToStoreMs.p99),
      );
      const hour = stats.perMinute.reduce((sum, m) => sum + m.count, 0);
      await expect(text(page, 'rate-detail')).resolves.toContain(`${formatCount(hour)} this hour`);
      // Every event on the hub has been processed: stored, or dead-lettered (the poison one).
      expect(stats.consumerLag).toMatchObject({ available: true, events: 0 });
      await expect(text(page, 'lag')).resolves.toBe('0 events');
      await expect(text(page, 'lag-detail')).resolves.toBe('Caught up on 2 partitions');
      const ids = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#latest li')].map((li) => li.dataset.id)",
      );
      expect(ids).toEqual(stats.latest.map((t) => t.id));
    });

    it('keeps the image bytes out of the stats payload (claim check) and answers small', async () => {
      const stats = await statsFromEndpoint();
      const body = JSON.stringify(stats);
      expect(body).not.toMatch(/"data"\s*:/);
      expect(stats.latest.every((t) => !t.image || /^[0-9a-f]{64}\.jpeg$/.test(t.image.blob))).toBe(true);
      expect(Buffer.byteLength(body)).toBeLessThan(32 * 1024);
    });

    it('lets a keyboard reach the charts and the map, each with a text alternative', async () => {
      const focused: string[] = [];
      await page.locator('.skip').focus();
      for (let i = 0; i < 12 && focused.length < 3; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate<string>('document.activeElement?.id ?? ""');
        if (['per-minute', 'labels', 'map'].includes(id)) focused.push(id);
      }
      expect(focused).toEqual(['per-minute', 'labels', 'map']);
      await expect(page.locator('#per-minute').getAttribute('aria-label')).resolves.toMatch(
        /^Bar chart of events stored per minute/,
      );
      await expect(page.locator('#labels').getAttribute('aria-label')).resolves.toContain('labelled damage');
      await expect(page.locator('#map title').first().textContent()).resolves.toContain('5 image locations');
    });

    it('draws one map point per distinct location', async () => {
      const stats = await statsFromEndpoint();
      expect(stats.map.points).toHaveLength(LOCATIONS.length);
      const drawn = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#map g.points circle')].map((c) => c.dataset.longitude + ',' + c.dataset.latitude)",
      );
      expect(drawn.sort()).toEqual(LOCATIONS.map(([lon, lat]) => `${lon},${lat}`).sort());
      expect(await page.locator('#map g.land path').count()).toBe(2); // Texas and Louisiana outlines
    });

    it('loads every thumbnail from the images function', async () => {
      const images = page.locator('#latest img.thumb');
      expect(await images.count()).toBeGreaterThan(0);
      await waitUntil(
        page,
        "[...document.querySelectorAll('#latest img.thumb')].every((i) => i.complete && i.naturalWidth === 128)",
        30_000,
      );
      expect(requests.some((url) => /\/api\/images\/[0-9a-f]{64}\.jpeg$/.test(url))).toBe(true);
    });

    it('updates without reloading when more events are replayed', async () => {
      await replay(
        Array.from({ length: 10 }, (_, n) => event(100 + n)),
        34,
      );
      await waitUntil(page, `document.querySelector('[data-stat="stored"]')?.textContent === '34'`, 30_000);
      expect(await page.evaluate('window.marker')).toBe('same page');
      expect(await page.evaluate("performance.getEntriesByType('navigation').length")).toBe(1);
    });

    it('takes screenshots at desktop and 360 px widths in both themes', async () => {
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        for (const [name, width, height] of [
          ['desktop', 1280, 900],
          ['mobile', 360, 780],
        ] as const) {
          await page.setViewportSize({ width, height });
          await page.waitForTimeout(300); // charts resize on the next frame
          await page.screenshot({
            path: join(SCREENSHOTS, `ready-${name}-${colorScheme}.png`),
            fullPage: true,
          });
          // Nothing is wider than the viewport (no sideways scrolling at 360 px).
          expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
        }
      }
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    it('shows the error state, keeping the last numbers, when the stats endpoint fails', async () => {
      await services.cosmos.stop();
      await page.locator('body[data-state="error-stale"]').waitFor({ timeout: 30_000 });
      await expect(page.locator('#error-banner').isVisible()).resolves.toBe(true);
      await expect(page.locator('#error-message').innerText()).resolves.toContain('503');
      await expect(text(page, 'stored')).resolves.toBe('34');
      await page.screenshot({ path: join(SCREENSHOTS, 'error-stale-desktop-light.png'), fullPage: true });

      const fresh = await newPage(503);
      await fresh.goto(`${baseUrl}/api/dashboard/#key=${key}`);
      await fresh.locator('body[data-state="error-nodata"]').waitFor({ timeout: 30_000 });
      await expect(fresh.locator('#error-banner').isVisible()).resolves.toBe(true);
      await fresh.screenshot({ path: join(SCREENSHOTS, 'error-nodata-mobile-dark.png'), fullPage: true });
      await fresh.context().close();
      // Chromium logs each failed stats request (503) as a console error: expected here, and only here.
      expect(consoleErrors.filter((line) => !/status of 503/.test(line))).toEqual([]);
    });
  });
});
