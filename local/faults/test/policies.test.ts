import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '@pipeline/stack';
import { policiesWithRateLimit } from '../src/policies';

it('copies the policies with only the rate limit raised, leaving the committed files alone', () => {
  const committed = readFileSync(join(paths.policiesDir, 'product-ingest.xml'), 'utf8');
  const copy = policiesWithRateLimit(paths.policiesDir, { calls: 1_000_000 });
  try {
    const raised = readFileSync(join(copy.dir, 'product-ingest.xml'), 'utf8');
    expect(copy.original).toBe('1200');
    expect(raised).toContain('<rate-limit calls="1000000" renewal-period="60"');
    expect(raised.replace('calls="1000000"', 'calls="1200"')).toBe(committed);
    expect(readFileSync(join(copy.dir, 'schemas', 'tweet-event.json'), 'utf8')).toBe(
      readFileSync(join(paths.policiesDir, 'schemas', 'tweet-event.json'), 'utf8'),
    );
  } finally {
    copy.remove();
  }
  expect(readFileSync(join(paths.policiesDir, 'product-ingest.xml'), 'utf8')).toBe(committed);
});

it('can scale the renewal period too', () => {
  const copy = policiesWithRateLimit(paths.policiesDir, { calls: 7, periodSeconds: 3 });
  try {
    const xml = readFileSync(join(copy.dir, 'product-ingest.xml'), 'utf8');
    expect(xml).toContain('<rate-limit calls="7" renewal-period="3"');
    expect(xml).toContain('<quota calls="100000"');
  } finally {
    copy.remove();
  }
});
