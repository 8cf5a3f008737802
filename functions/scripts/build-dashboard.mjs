// Builds the dashboard page into one folder of static files, served by the `dashboard` function:
// index.html, app.css, icon.svg, app.js (the page's TypeScript with Chart.js and d3-geo, bundled by
// esbuild: no CDN, works offline) and map.json (Texas and Louisiana outlines from the us-atlas package,
// extracted from its TopoJSON once here rather than in every browser).
// Usage: node scripts/build-dashboard.mjs [--out dist/dashboard]   (npm run -w functions build:dashboard)
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/dashboard');
const require = createRequire(import.meta.url);

/** The states the map outlines (FIPS codes): the hurricane's landfall and flood area. */
const STATES = { 48: 'Texas', 22: 'Louisiana' };

/** @param {string} outDir */
export async function buildDashboard(outDir) {
  const started = Date.now();
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(source, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(source, 'styles.css')],
    outfile: join(outDir, 'app.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  await copyFile(join(source, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(source, 'icon.svg'), join(outDir, 'icon.svg'));
  await writeFile(join(outDir, 'map.json'), JSON.stringify(await mapOutlines()));
  console.log(
    `built the dashboard into ${relative(process.cwd(), outDir) || '.'} in ${Date.now() - started} ms`,
  );
}

async function mapOutlines() {
  const { feature } = require('topojson-client');
  const topology = JSON.parse(await readFile(require.resolve('us-atlas/states-10m.json'), 'utf8'));
  const states = feature(topology, topology.objects.states);
  // Three decimals of a degree is ~100 m: finer than the 1:10m source, and a third of the size.
  const round = (value) => (Array.isArray(value) ? value.map(round) : Math.round(value * 1000) / 1000);
  return {
    type: 'FeatureCollection',
    features: states.features
      .filter((f) => String(f.id) in STATES)
      .map((f) => ({
        type: 'Feature',
        id: String(f.id),
        properties: { name: STATES[String(f.id)] },
        geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
      })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist/dashboard' } } });
  await buildDashboard(resolve(root, values.out));
}
