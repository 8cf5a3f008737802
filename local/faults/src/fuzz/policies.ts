import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A copy of the policies folder whose product rate limit allows `calls` per renewal period instead of
 * the committed 1,200 per minute: the fuzzer sends thousands of requests a minute with one
 * subscription, and a 429 would stop its requests before the validation they are meant to reach.
 * Everything else (quota, validation, credentials) stays as committed. Throws when the file no longer
 * holds a rate-limit element, so a changed policy cannot silently leave the limit in place.
 */
export function policiesWithRateLimit(
  source: string,
  calls: number,
): { dir: string; original: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-policies-'));
  cpSync(source, dir, { recursive: true });
  const file = join(dir, 'product-ingest.xml');
  const xml = readFileSync(file, 'utf8');
  const pattern = /(<rate-limit\b[^>]*\bcalls=")(\d+)(")/;
  const found = pattern.exec(xml);
  if (!found) throw new Error(`${file} has no <rate-limit calls="..."> to raise`);
  writeFileSync(file, xml.replace(pattern, `$1${calls}$3`));
  return { dir, original: found[2]!, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
