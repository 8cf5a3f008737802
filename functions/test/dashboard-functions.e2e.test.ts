import { HttpRequest } from '@azure/functions';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboard } from '../src/functions/dashboard';
import { images } from '../src/functions/images';
import { clearAssetCache } from '../src/lib/dashboard-assets';
import { jpeg } from './events';
import { CONTAINERS, quietContext, startTestServices, type TestServices } from './support';
import { createHash } from 'node:crypto';

const get = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
  new HttpRequest({ method: 'GET', url, params, headers });

describe('dashboard function (static page files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-assets-'));
  beforeAll(() => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'void 0;');
    writeFileSync(join(dir, 'notes.txt'), 'not a page file');
    process.env.DASHBOARD_ASSETS_DIR = dir;
    clearAssetCache();
  });
  afterAll(() => {
    delete process.env.DASHBOARD_ASSETS_DIR;
    clearAssetCache();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects the bare path to the folder, so the page relative URLs resolve', () => {
    const response = dashboard(get('http://127.0.0.1/api/dashboard?x=1', { asset: '' }));
    expect(response).toMatchObject({ status: 308, headers: { location: 'dashboard/?x=1' } });
  });

  it('serves index.html with security headers and revalidation by ETag', () => {
    const response = dashboard(get('http://127.0.0.1/api/dashboard/', { asset: '' }));
    const headers = response.headers as Record<string, string>;
    expect(response.status).toBe(200);
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(headers['cache-control']).toBe('no-cache');
    const again = dashboard(
      get('http://127.0.0.1/api/dashboard/', { asset: '' }, { 'if-none-match': headers.etag! }),
    );
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });

  it('serves only the page files it lists, never a path from the request', () => {
    expect(dashboard(get('http://127.0.0.1/api/dashboard/app.js', { asset: 'app.js' })).status).toBe(200);
    for (const asset of ['notes.txt', '../index.html', '..%2Findex.html', 'missing.js'])
      expect(dashboard(get(`http://127.0.0.1/api/dashboard/${asset}`, { asset })).status).toBe(404);
  });

  it('answers 503 with the fix when the page was never built', () => {
    process.env.DASHBOARD_ASSETS_DIR = join(dir, 'nowhere');
    clearAssetCache();
    const response = dashboard(get('http://127.0.0.1/api/dashboard/', { asset: '' }));
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).toContain('build:dashboard');
    process.env.DASHBOARD_ASSETS_DIR = dir;
    clearAssetCache();
  });
});

describe('images function on Azurite', () => {
  let services: TestServices;
  const bytes = jpeg(7);
  const name = `${createHash('sha256').update(bytes).digest('hex')}.jpeg`;

  beforeAll(async () => {
    services = await startTestServices();
    await services.blobs.getContainerClient(CONTAINERS.images).getBlockBlobClient(name).uploadData(bytes);
  }, 60_000);
  afterAll(() => services?.stop());

  it('serves the image bytes, cacheable forever by its content hash', async () => {
    const response = await images(get(`http://127.0.0.1/api/images/${name}`, { name }), quietContext());
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body as Uint8Array).equals(bytes)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-type': 'image/jpeg',
      etag: `"${name.slice(0, 64)}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    });
    const revalidated = await images(
      get(`http://127.0.0.1/api/images/${name}`, { name }, { 'if-none-match': `"${name.slice(0, 64)}"` }),
      quietContext(),
    );
    expect(revalidated.status).toBe(304);
  });

  it('answers 404 for an image that is not stored and 400 for a name that is not an image name', async () => {
    const missing = `${'0'.repeat(64)}.jpeg`;
    expect((await images(get('http://127.0.0.1/', { name: missing }), quietContext())).status).toBe(404);
    for (const bad of ['../raw-events/x.json', 'x.jpeg', `${'0'.repeat(64)}.png`])
      expect((await images(get('http://127.0.0.1/', { name: bad }), quietContext())).status).toBe(400);
  });
});
