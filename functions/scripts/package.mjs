// Builds the deployment package: one esbuild bundle of the app (no node_modules at all, so nothing
// depends on the npm workspace's hoisted packages), the dashboard page's static files beside it
// (dist/dashboard, found by the dashboard function relative to the bundle), host.json and a minimal
// package.json, zipped.
// Usage: npm run -w functions package [-- --out dist/functions.zip] [--staging dist/package]
// --staging is where the unzipped app goes (the folder `npm start` runs the host from). The test run
// builds into a temporary folder of its own instead (jest/functions-bundle.js), so a suite never
// deletes the app another suite's host is running from.
//
// The bundle's entry is tsc's CommonJS output (dist/src/index.js), not the TypeScript source: through
// require() esbuild picks each Azure SDK package's CommonJS build, whereas from `import` statements it
// would pick their ESM builds, which read import.meta.url and break inside a CommonJS bundle.
import { build } from 'esbuild';
import AdmZip from 'adm-zip';
import { mkdir, readFile, rm, writeFile, copyFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDashboard } from './build-dashboard.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist/functions.zip' },
    staging: { type: 'string', default: 'dist/package' },
  },
});
const staging = resolve(root, values.staging);
const zipPath = resolve(root, values.out);

const started = Date.now();
await rm(staging, { recursive: true, force: true });
await mkdir(join(staging, 'dist'), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'dist/src/index.js')],
  outfile: join(staging, 'dist/index.js'),
  bundle: true,
  platform: 'node',
  // Azure runs the app on Node 22 (cdktf config functions.nodeVersion). Node 22 adds no syntax that
  // Node 20 lacks, so the bundle still loads on Node 20 (test/package.e2e.test.ts loads it here).
  target: 'node22',
  format: 'cjs',
  sourcemap: 'linked',
  // Supplied by the Functions worker at run time (and by the local host); never bundled.
  external: ['@azure/functions-core'],
  logLevel: 'warning',
  metafile: true,
});
await buildDashboard(join(staging, 'dist/dashboard'));
const own = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const deployManifest = {
  name: own.name.replace('@pipeline/', 'pipeline-'),
  version: own.version,
  description: own.description,
  main: 'dist/index.js',
  engines: { node: '>=20' },
};
await writeFile(join(staging, 'package.json'), JSON.stringify(deployManifest, null, 2) + '\n');
await copyFile(join(root, 'host.json'), join(staging, 'host.json'));

const zip = new AdmZip();
zip.addLocalFolder(staging);
await mkdir(dirname(zipPath), { recursive: true });
zip.writeZip(zipPath);
const size = (await stat(zipPath)).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(
  `packaged ${relative(process.cwd(), zipPath)}: ${(size / 1024 / 1024).toFixed(2)} MB, ${inputs} modules bundled in ${Date.now() - started} ms`,
);
