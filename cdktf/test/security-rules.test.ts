import { BOOTSTRAP_SECURITY_RULES, runSecurityRules, SECURITY_RULES } from '../src/security-rules';
import type { MutableTf } from './fixtures/bad-fixtures';
import { BAD_FIXTURES, BOOTSTRAP_BAD_FIXTURES } from './fixtures/bad-fixtures';
import { synthBootstrap, synthPipeline } from './helpers';
import { ENVIRONMENTS } from '../src/config';

const dev = synthPipeline().tf;

describe('security rules', () => {
  test('there are at least 20, each with a distinct id and a description', () => {
    expect(SECURITY_RULES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(SECURITY_RULES.map((r) => r.id)).size).toBe(SECURITY_RULES.length);
    for (const rule of SECURITY_RULES) expect(rule.description.length).toBeGreaterThan(10);
  });

  test('the dev and prod stacks pass every rule', () => {
    expect(runSecurityRules(dev)).toEqual([]);
    expect(runSecurityRules(synthPipeline(ENVIRONMENTS.prod).tf)).toEqual([]);
  });

  test('every rule has a bad fixture, and every fixture belongs to a rule', () => {
    expect(Object.keys(BAD_FIXTURES).sort()).toEqual(SECURITY_RULES.map((r) => r.id).sort());
  });

  test.each(SECURITY_RULES.map((r) => [r.id, r] as const))('%s fails on its bad fixture', (id, rule) => {
    const bad = structuredClone(dev) as unknown as MutableTf;
    BAD_FIXTURES[id]!(bad);
    const violations = rule.check(bad);
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) {
      expect(v.rule).toBe(id);
      expect(v.message).not.toBe('');
    }
    // The rule passes on the untouched stack, so it is the fixture's change that it caught.
    expect(rule.check(dev)).toEqual([]);
  });
});

describe('bootstrap security rules', () => {
  const bootstrap = synthBootstrap();

  test('the bootstrap stack passes every bootstrap rule', () => {
    expect(runSecurityRules(bootstrap, BOOTSTRAP_SECURITY_RULES)).toEqual([]);
  });

  test('every bootstrap rule has a bad fixture, and every fixture belongs to a rule', () => {
    expect(Object.keys(BOOTSTRAP_BAD_FIXTURES).sort()).toEqual(
      BOOTSTRAP_SECURITY_RULES.map((r) => r.id).sort(),
    );
  });

  test.each(BOOTSTRAP_SECURITY_RULES.map((r) => [r.id, r] as const))(
    '%s fails on its bad fixture',
    (id, rule) => {
      const bad = structuredClone(bootstrap) as unknown as MutableTf;
      BOOTSTRAP_BAD_FIXTURES[id]!(bad);
      const violations = rule.check(bad);
      expect(violations.length).toBeGreaterThan(0);
      for (const v of violations) expect(v.rule).toBe(id);
      expect(rule.check(bootstrap)).toEqual([]);
    },
  );

  test('a pull-request identity trusted by main as well fails, even with read-only roles', () => {
    const bad = structuredClone(bootstrap) as unknown as MutableTf;
    const credentials = bad.resource.azuread_application_federated_identity_credential!;
    const planCredential = Object.values(credentials).find((c) =>
      String(c.subject).endsWith(':pull_request'),
    )!;
    credentials['extra'] = { ...planCredential, subject: 'repo:octo/harvey-fork:ref:refs/heads/main' };
    const rule = BOOTSTRAP_SECURITY_RULES.find((r) => r.id === 'bootstrap-pr-identity-read-only')!;
    expect(
      rule
        .check(bad)
        .map((v) => v.message)
        .join('\n'),
    ).toMatch(/also by repo:octo\/harvey-fork:ref:refs\/heads\/main/);
  });

  test("a write action slipped into the plan identity's custom role fails", () => {
    const bad = structuredClone(bootstrap) as unknown as MutableTf;
    const role = Object.values(bad.resource.azurerm_role_definition!)[0]!;
    role.permissions = [{ actions: ['Microsoft.Web/sites/config/list/action', 'Microsoft.Web/sites/write'] }];
    const rule = BOOTSTRAP_SECURITY_RULES.find((r) => r.id === 'bootstrap-pr-identity-read-only')!;
    const messages = rule.check(bad).map((v) => v.message);
    expect(messages).toHaveLength(2); // its assignments on the dev and prod groups
    for (const m of messages) expect(m).toMatch(/plan-role.*which can write/);
  });
});
