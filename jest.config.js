// One jest run over every workspace (`npm test` at the root), as four projects: the test tiers of
// jest/tiers.js. `npx jest --selectProjects unit` (npm run test:unit) runs one tier; a path runs one
// workspace or one file (`npx jest local/gateway`). Each workspace also keeps a jest.config.js of its
// own (jest.preset.js) for `cd <workspace> && npx jest`.
// No forceExit: every suite closes what it opened, and a handle left open is a bug to fix, not to hide.
const { availableParallelism } = require('node:os');
const { shared } = require('./jest.preset');
const { REPO_ROOT, TIERS, WORKSPACES, selection } = require('./jest/tiers');

/** Tiers that run the functions deployment bundle: built once per run, before any of their suites. */
const NEEDS_BUNDLE = new Set(['e2e', 'browser', 'faults']);

module.exports = {
  // Jest's default is one worker less than the cores: on a 2-core machine a single worker, every suite in
  // turn. Most e2e time is waiting (processes starting, events crossing the pipeline), so one more worker
  // than cores overlaps those waits; more than that starves the stacks the suites start
  // (docs/performance.md, "Test suite time").
  maxWorkers: availableParallelism() + 1,
  testSequencer: '<rootDir>/jest/sequencer.js',
  // A global option: jest ignores it in a project (jest.preset.js sets it for a workspace's own run),
  // so until now every suite here ran with jest's 5 s default unless it set its own.
  testTimeout: shared.testTimeout,
  projects: TIERS.map((tier) => ({
    ...shared,
    ...selection(tier),
    displayName: tier,
    rootDir: REPO_ROOT,
    roots: WORKSPACES.map((workspace) => `<rootDir>/${workspace}`),
    // @azure/functions warns once per registration outside the Azure host; expected in tests.
    setupFiles: ['<rootDir>/functions/test/quiet-test-mode.js'],
    ...(tier === 'unit' ? { testEnvironment: '<rootDir>/jest/unit-environment.js' } : {}),
    ...(NEEDS_BUNDLE.has(tier)
      ? {
          globalSetup: '<rootDir>/jest/functions-bundle.js',
          globalTeardown: '<rootDir>/jest/functions-bundle-teardown.js',
        }
      : {}),
  })),
};
