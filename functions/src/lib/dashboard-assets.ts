import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { readSetting } from './settings';

/** One built page file, read once and kept in memory (the whole page is a few hundred KB). */
export interface Asset {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong validator: a hash of the bytes, so a rebuilt asset is never served from a stale cache. */
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where the built page is (`npm run -w functions build:dashboard` or the deployment package): beside the
 * bundle in the package (`dist/dashboard`), or `functions/dist/dashboard` when running tsc's output or
 * the sources under jest. DASHBOARD_ASSETS_DIR overrides.
 */
export function assetsDirectory(): string | undefined {
  const override = readSetting('DASHBOARD_ASSETS_DIR', '');
  const candidates = override
    ? [override]
    : [
        join(__dirname, 'dashboard'),
        join(__dirname, '..', '..', 'dashboard'),
        join(__dirname, '..', '..', 'dist', 'dashboard'),
      ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

let loaded: { dir: string; assets: Map<string, Asset> } | undefined;

/**
 * The page's files by name. Only files directly in the folder with an allowed extension are served, and
 * they are looked up in this map, never joined onto a path from the request (no traversal possible).
 */
export function loadAssets(): Map<string, Asset> | undefined {
  const dir = assetsDirectory();
  if (!dir) return undefined;
  if (loaded?.dir === dir) return loaded.assets;
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType || !/^[\w.-]+$/.test(name)) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(name, { name, body, contentType, etag });
  }
  loaded = { dir, assets };
  return assets;
}

/** Forgets the loaded files (tests that rebuild the page). */
export function clearAssetCache(): void {
  loaded = undefined;
}
