import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A copy of the policies folder whose product rate limit allows `calls` per `periodSeconds` (the
 * committed renewal period when omitted) instead of the committed 1,200 per minute. The fuzzer raises
 * it (thousands of requests a minute with one subscription, and a 429 would stop them before the
 * validation they are meant to reach); the rate-limit scenario scales it down (so 5x the limit for 10 s
 * is seconds of work). Everything else (quota, validation, credentials) stays as committed. Throws when
 * the file no longer holds a rate-limit element, so a changed policy cannot silently leave the limit
 * in place.
 */
export function policiesWithRateLimit(
  source: string,
  limit: { calls: number; periodSeconds?: number },
): { dir: string; original: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'policies-'));
  cpSync(source, dir, { recursive: true });
  const file = join(dir, 'product-ingest.xml');
  const xml = readFileSync(file, 'utf8');
  const pattern = /<rate-limit\b([^>]*)\bcalls="(\d+)"([^>]*)\brenewal-period="(\d+)"/;
  const found = pattern.exec(xml);
  if (!found) throw new Error(`${file} has no <rate-limit calls="..." renewal-period="..."> to change`);
  const period = limit.periodSeconds ?? Number(found[4]);
  writeFileSync(
    file,
    xml.replace(pattern, `<rate-limit$1calls="${limit.calls}"$3renewal-period="${period}"`),
  );
  return { dir, original: found[2]!, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
