import { HttpRequest } from '@azure/functions';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboard } from '../src/functions/dashboard';
import { clearAssetCache } from '../src/lib/dashboard-assets';

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
