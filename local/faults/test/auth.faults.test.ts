import { authScenario } from '../src/auth/scenario';

/**
 * Issue 10, authentication: no key, a wrong key, a valid key of another product, a suspended
 * subscription, missing or wrong basic auth, the functions host without or with a wrong function key:
 * all 401, none reaches the hub or a store; the same request with the right credentials is accepted
 * and reaches the hub. Runs the functions deployment bundle (`npm run -w functions package`).
 */
it('rejects every request without the right credentials with 401, and none of them reaches the hub', async () => {
  const result = await authScenario.run({
    say: process.env.FAULTS_VERBOSE ? (line) => process.stderr.write(`${line}\n`) : () => undefined,
  });
  process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
  expect(result.failures).toEqual([]);
  expect(result.statuses['401']).toBe(10);
  expect(result.accepted).toBeGreaterThanOrEqual(2);
  expect(result.lost).toEqual([]);
  expect(result.duplicated).toEqual([]);
}, 180_000);
