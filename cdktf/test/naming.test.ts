import { Naming, nameToken } from '../src/naming';

const input = { subscriptionId: 'sub-a', environment: 'dev', location: 'swedencentral', workload: 'harvey' };

describe('naming', () => {
  test('the token is stable, 13 lowercase base-36 characters', () => {
    expect(nameToken('a', 'b', 'c')).toBe(nameToken('a', 'b', 'c'));
    expect(nameToken('a', 'b', 'c')).toMatch(/^[a-z0-9]{13}$/);
  });

  test.each([
    ['subscription', { subscriptionId: 'sub-b' }],
    ['environment', { environment: 'prod' }],
    ['location', { location: 'westeurope' }],
  ])('a different %s gives different names', (_label, change) => {
    expect(new Naming({ ...input, ...change }).name('keyVault')).not.toBe(new Naming(input).name('keyVault'));
  });

  test('the workload does not move globally unique names (renaming it would replace everything)', () => {
    expect(new Naming({ ...input, workload: 'other' }).token).toBe(new Naming(input).token);
  });

  test('names fit the services: storage 3-24 lowercase alphanumerics, Key Vault at most 24', () => {
    const naming = new Naming(input);
    for (const kind of ['storageAccount', 'functionStorageAccount', 'stateStorageAccount'] as const) {
      expect(naming.name(kind)).toMatch(/^[a-z0-9]{3,24}$/);
    }
    expect(naming.name('keyVault').length).toBeLessThanOrEqual(24);
    expect(naming.resourceGroup).toBe('rg-harvey-dev');
  });

  test('the token can be overridden, and a bad override is refused', () => {
    expect(new Naming({ ...input, tokenOverride: 'abcd1234' }).name('cosmosAccount')).toBe('cosmos-abcd1234');
    expect(() => new Naming({ ...input, tokenOverride: 'Bad_Token' })).toThrow(/NAME_TOKEN must be/);
  });
});
