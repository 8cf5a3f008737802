import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, relative, sep } from 'node:path';
import { globsToMatcher } from 'jest-util';

/**
 * The test tiers (jest/tiers.js, docs/local-development.md "Test tiers"): every test file on disk runs
 * in exactly one of the root jest config's projects, the one its name says. A suite placed or named
 * so that no tier picks it up would never run; one in two tiers would run twice.
 */
const ROOT = join(__dirname, '../../..');
const load = createRequire(__filename);

interface Project {
  displayName: string;
  rootDir: string;
  roots: string[];
  testMatch: string[];
  testPathIgnorePatterns: string[];
}
const { projects } = load(join(ROOT, 'jest.config.js')) as { projects: Project[] };
const { TIERS, tierOf } = load(join(ROOT, 'jest/tiers.js')) as {
  TIERS: string[];
  tierOf: (file: string) => string;
};

/** Every file that looks like a test, wherever it is (not only where jest looks). */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', '.git', 'cdktf.out', '.data', 'coverage'].includes(entry.name)
        ? []
        : testFiles(path);
    return /\.(test|spec)\.[cm]?[jt]sx?$/.test(entry.name) ? [path] : [];
  });
}

/** Whether jest would run `file` in `project`: under a root, matched by testMatch, not ignored. */
function runs(project: Project, file: string): boolean {
  const expand = (text: string) => text.replace('<rootDir>', project.rootDir);
  return (
    project.roots.some((root) => file.startsWith(expand(root) + sep)) &&
    globsToMatcher(project.testMatch.map(expand))(file) &&
    !project.testPathIgnorePatterns.some((pattern) => new RegExp(pattern).test(file))
  );
}

describe('test tiers', () => {
  const files = testFiles(ROOT);

  it('are one jest project each, named after the tier', () => {
    expect(projects.map((p) => p.displayName)).toEqual(TIERS);
    expect(TIERS).toEqual(['unit', 'e2e', 'browser', 'faults']);
  });

  it('hold every test file in exactly one tier, the one its name says', () => {
    expect(files.length).toBeGreaterThan(90);
    const wrong = files
      .map((file) => ({
        file: relative(ROOT, file),
        tiers: projects.filter((p) => runs(p, file)).map((p) => p.displayName),
      }))
      .filter(({ file, tiers }) => tiers.length !== 1 || tiers[0] !== tierOf(file));
    expect(wrong).toEqual([]);
  });

  it('have suites in every tier', () => {
    for (const tier of TIERS)
      expect([tier, files.some((file) => tierOf(file) === tier)]).toEqual([tier, true]);
  });

  // Two whole stacks at once on 2 cores starve each other into timeouts and 500s that are not the
  // faults under test; one suite runs its scenarios one after another by construction (FAULTS-LANE-1).
  it('run the fault scenarios in one suite, the fault lane', () => {
    expect(files.filter((file) => tierOf(file) === 'faults').map((file) => relative(ROOT, file))).toEqual([
      join('local', 'faults', 'test', 'scenarios.faults.test.ts'),
    ]);
  });

  it('name the tier by the suffix before .test.ts; anything else is unit', () => {
    expect(tierOf('local/stack/test/stack.e2e.test.ts')).toBe('e2e');
    expect(tierOf('functions/test/dashboard.browser.test.ts')).toBe('browser');
    expect(tierOf('local/faults/test/scenarios.faults.test.ts')).toBe('faults');
    expect(tierOf('functions/test/browser.e2e.test.ts')).toBe('e2e');
    expect(tierOf('schemas/test/validation.test.ts')).toBe('unit');
  });

  // This suite is a unit suite: its environment (jest/unit-environment.js) refuses processes and
  // servers. Run through a workspace's own jest config instead, there is no guard to check.
  const guarded = (globalThis as { __unitTier?: boolean }).__unitTier === true;
  (guarded ? it : it.skip)('refuse a child process or a listening server in a unit suite', () => {
    expect(() => spawn(process.execPath, ['-e', '0'])).toThrow(
      /^unit tier: child_process\.spawn is not allowed/,
    );
    expect(() => createServer().listen(0)).toThrow(/^unit tier: a listening server/);
  });
});
