#!/usr/bin/env node
/**
 * Writes policies/schemas/*.json from the message contract (or, with --check, fails when they are
 * stale). Usage: node local/gateway/dist/src/generate-schemas.js [--check] [policiesDir]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { generatedSchemaFiles, SCHEMAS_FOLDER } from './apim-schemas';

const args = process.argv.slice(2);
const check = args.includes('--check');
const policiesDir = resolve(
  args.find((arg) => !arg.startsWith('--')) ?? join(__dirname, '../../../../policies'),
);
const folder = join(policiesDir, SCHEMAS_FOLDER);
let stale = 0;
for (const [file, value] of Object.entries(generatedSchemaFiles())) {
  const path = join(folder, file);
  let current: unknown;
  try {
    current = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    current = undefined;
  }
  if (isDeepStrictEqual(current, value)) continue;
  const text = JSON.stringify(value, null, 2) + '\n';
  if (check) {
    console.error(`${path} is stale; run npm run -w local/gateway generate`);
    stale += 1;
  } else {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
