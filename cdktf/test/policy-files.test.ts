import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MissingPolicyFileError, policyElements, readPolicies, tierProblems } from '../src/policy-files';
import { ENVIRONMENTS } from '../src/config';
import { synthPipeline } from './helpers';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'policies-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

const minimal = '<policies><inbound><base /></inbound></policies>';

describe('reading policies/', () => {
  test('reads the three required files verbatim and the optional one when present', () => {
    const dir = dirWith({ 'global.xml': 'G', 'product-ingest.xml': 'P', 'api-ingest.xml': 'A\r\n' });
    expect(readPolicies(dir)).toEqual({ global: 'G', product: 'P', api: 'A\r\n' });
    writeFileSync(path.join(dir, 'operation-ingest-post-events.xml'), 'O');
    expect(readPolicies(dir).operation).toBe('O');
  });

  test('a missing required file fails with its name', () => {
    const dir = dirWith({ 'global.xml': minimal, 'api-ingest.xml': minimal });
    expect(() => readPolicies(dir)).toThrow(MissingPolicyFileError);
    expect(() => readPolicies(dir)).toThrow(
      /Missing required APIM policy file policies\/product-ingest\.xml/,
    );
  });
});

describe('tier compatibility', () => {
  const byKey =
    '<policies><inbound><rate-limit-by-key calls="10" renewal-period="1" counter-key="@(context.Request.IpAddress)" /></inbound></policies>';

  test('finds element names, ignoring comments', () => {
    expect(
      [...policyElements('<policies><!-- <quota-by-key/> --><inbound><base/></inbound></policies>')].sort(),
    ).toEqual(['base', 'inbound', 'policies']);
  });

  test('Consumption cannot run rate-limit-by-key; other tiers can', () => {
    expect(tierProblems({ product: byKey }, 'Consumption_0')).toEqual([
      expect.stringMatching(
        /policies\/product-ingest\.xml uses <rate-limit-by-key>, which the Consumption tier does not support/,
      ),
    ]);
    expect(tierProblems({ product: byKey }, 'BasicV2_1')).toEqual([]);
    // The drift that one table fixed: cdktf's old list lacked limit-concurrency, which the gateway refused.
    const concurrency =
      '<policies><inbound><limit-concurrency key="k" max-count="1"><forward-request/></limit-concurrency></inbound></policies>';
    expect(tierProblems({ api: concurrency }, 'Consumption_0')).toEqual([
      expect.stringMatching(/policies\/api-ingest\.xml uses <limit-concurrency>, which the Consumption tier/),
    ]);
    // quota-by-key runs on the classic tiers only, so a v2 SKU is refused too.
    expect(
      tierProblems(
        {
          product:
            '<policies><inbound><quota-by-key calls="1" renewal-period="60" counter-key="k"/></inbound></policies>',
        },
        'BasicV2_1',
      ),
    ).toHaveLength(1);
    expect(() => tierProblems({ product: byKey }, 'Gold_1')).toThrow(/unknown API Management tier "Gold_1"/);
    expect(
      tierProblems(
        { product: '<policies><inbound><rate-limit calls="1" renewal-period="1"/></inbound></policies>' },
        'Consumption_0',
      ),
    ).toEqual([]);
  });

  test('synthesis fails before creating anything when the tier cannot run a policy', () => {
    expect(() => synthPipeline(ENVIRONMENTS.dev, { global: minimal, api: minimal, product: byKey })).toThrow(
      /API Management tier cannot run the policies/,
    );
  });
});
