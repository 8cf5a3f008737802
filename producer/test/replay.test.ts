import { replay, UsageError, type ReplayOptions } from '../src';

/** Options that pass, but for the override: replay checks them before it reads or sends anything. */
function options(overrides: Partial<ReplayOptions>): ReplayOptions {
  return {
    input: [],
    url: 'http://127.0.0.1:9/api',
    retryBaseMs: 10,
    retryMaxMs: 50,
    batchSize: 5,
    ...overrides,
  };
}

describe('replay options', () => {
  it('refuses bad options, naming them', () => {
    expect(() => replay(options({ batchSize: 101 }))).toThrow(UsageError);
    expect(() => replay(options({ batchSize: 101 }))).toThrow(/^--batch-size:/);
    expect(() => replay(options({ url: 'ftp://x' }))).toThrow(/^--url:/);
    expect(() => replay(options({ basicUser: 'only-user' }))).toThrow(/^--basic-password:/);
    expect(() => replay(options({ rate: -5 }))).toThrow(/^--rate:/);
  });
});
