// Shared jest settings for every workspace: swc strips types (tsc -b does the type checking), and
// workspace packages resolve to their TypeScript sources so tests never run against a stale dist/.
const path = require('node:path');

/** Workspace packages that other workspaces import, and where their sources live. */
const WORKSPACE_SOURCES = {
  '@pipeline/schemas': 'schemas',
  '@pipeline/producer': 'producer',
  '@pipeline/eventhubs-emulator': 'local/eventhubs-emulator',
  '@pipeline/gateway': 'local/gateway',
  '@pipeline/emulators': 'local/emulators',
  '@pipeline/functions-host': 'local/functions-host',
  '@pipeline/stack': 'local/stack',
};

/** Settings every suite shares, whichever way jest is started (root tiers or one workspace). */
const shared = {
  testEnvironment: 'node',
  // Bounded, yet tolerant of a loaded 2-core machine: servers and child processes start slowly there.
  testTimeout: 60_000,
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: Object.fromEntries(
    Object.entries(WORKSPACE_SOURCES).map(([name, dir]) => [
      `^${name}$`,
      path.join(__dirname, dir, 'src/index.ts'),
    ]),
  ),
};

/**
 * One workspace's own jest config (`cd functions && npx jest`); the root jest.config.js groups the
 * same suites by tier instead.
 * @param {string} dir the workspace folder
 */
module.exports = function preset(dir) {
  return {
    ...shared,
    displayName: path.relative(__dirname, dir),
    rootDir: dir,
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  };
};
module.exports.shared = shared;
