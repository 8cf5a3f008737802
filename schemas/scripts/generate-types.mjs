// Generates schemas/src/generated/*.ts from the JSON Schemas. With --check it writes nothing and
// exits 1 when a committed file is stale, so CI catches a schema edited without regenerating.
import { compileFromFile } from 'json-schema-to-typescript';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [
  { schema: 'tweet-event.schema.json', out: 'src/generated/tweet-event.ts' },
  { schema: 'hub-event.schema.json', out: 'src/generated/hub-event.ts' },
];
const check = process.argv.includes('--check');
const banner = '/* Generated from schemas/%s by `npm run -w schemas generate`. Do not edit. */';

let stale = 0;
for (const { schema, out } of targets) {
  const ts = await compileFromFile(join(root, schema), {
    bannerComment: banner.replace('%s', schema),
    additionalProperties: false,
    strictIndexSignatures: true,
    format: false,
  });
  const options = (await prettier.resolveConfig(join(root, out))) ?? {};
  const formatted = await prettier.format(ts, { ...options, parser: 'typescript' });
  const path = join(root, out);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === formatted) continue;
  if (check) {
    console.error(`stale: schemas/${out} does not match schemas/${schema}; run \`npm run -w schemas generate\``);
    stale++;
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, formatted);
    console.log(`wrote schemas/${out}`);
  }
}
if (stale) process.exit(1);
if (check) console.log('generated types are up to date');
