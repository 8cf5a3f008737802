import { DEFAULT_MAX_REQUEST_BYTES } from '../src';

describe('requests sized by bytes', () => {
  it('defaults to 96 KiB, under the 100 KiB API Management validates on every tier', () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(98_304);
    expect(DEFAULT_MAX_REQUEST_BYTES).toBeLessThan(100_000);
  });
});
