import {
  APIM_TIERS,
  BUFFERED_PAYLOAD_BYTES,
  parseApimTier,
  STRICTEST_REQUEST_BODY_BYTES,
  strictest,
  tierFamily,
  tierLimits,
  tiersForPolicy,
  VALIDATE_CONTENT_BODY_BYTES,
} from '../src';

describe('the API Management tier table', () => {
  it.each(APIM_TIERS)('%s: the strictest documented limits', (tier) => {
    const limits = tierLimits(tier);
    // The policy page allows 4 MB, the limits table 100 KiB: the stricter one is in force.
    expect(limits.validateContentBodyBytes).toBe(102_400);
    // Classic: 500 MiB (2026-04 table) against 2 MiB (2026-02 table); v2 and Consumption: 2 MiB.
    expect(limits.bufferedPayloadBytes).toBe(2 * 1024 * 1024);
    expect(limits.corsTerminateUnmatchedDefault).toBe(true);
    const v2 = ['BasicV2', 'StandardV2', 'PremiumV2'].includes(tier);
    expect(limits.rateLimitAlgorithm).toBe(v2 ? 'token-bucket' : 'sliding-window');
    // Classic tiers document no total duration ("Unlimited"); v2 and Consumption 30 s.
    expect(limits.totalRequestSeconds).toBe(tierFamily(tier) === 'classic' ? null : 30);
  });

  it('keeps every documented value with a dated source', () => {
    for (const table of [VALIDATE_CONTENT_BODY_BYTES, BUFFERED_PAYLOAD_BYTES]) {
      for (const values of Object.values(table)) {
        for (const entry of values) {
          expect(entry.source.url).toMatch(/^https:\/\/learn\.microsoft\.com\//);
          expect(entry.source.pageDate).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
        }
      }
    }
  });

  it('takes the smallest documented number, and "Unlimited" only when nothing else is documented', () => {
    const source = { url: 'https://learn.microsoft.com/x', pageDate: '2026-01-01' };
    expect(
      strictest([
        { value: 5, source },
        { value: null, source },
        { value: 3, source },
      ]),
    ).toBe(3);
    expect(strictest([{ value: null, source }])).toBeNull();
  });

  it('fits a client to every tier with one figure', () => {
    expect(STRICTEST_REQUEST_BODY_BYTES).toBe(102_400);
  });

  it('parses tier names and cdktf SKUs, and names the choices for anything else', () => {
    expect(parseApimTier('basicv2')).toBe('BasicV2');
    expect(parseApimTier('Consumption_0')).toBe('Consumption');
    expect(() => parseApimTier('Gold')).toThrow(
      /unknown API Management tier "Gold"; expected one of Consumption/,
    );
  });

  it('lists the policies some tiers lack', () => {
    expect(tiersForPolicy('quota-by-key')).toEqual(['Developer', 'Basic', 'Standard', 'Premium']);
    expect(tiersForPolicy('rate-limit-by-key')).not.toContain('Consumption');
    expect(tiersForPolicy('rate-limit')).toBeUndefined();
  });
});
