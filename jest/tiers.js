// The test tiers, by file name. A suite's tier is the suffix before `.test.ts`:
//   unit     `*.test.ts`          pure logic: no server, no child process (enforced by unit-guard.js)
//   e2e      `*.e2e.test.ts`      real components on loopback: emulators, gateway, functions host, CLIs
//   browser  `*.browser.test.ts`  the dashboard in a real headless Chromium
//   faults   `*.faults.test.ts`   whole-stack fault scenarios (kills, outages, floods, fuzzing)
// One rule decides every file, so a new suite cannot fall outside the tiers: without a suffix it is a
// unit suite, and the unit guard fails it the moment it starts a server or a process.
// jest.config.js turns each tier into one jest project; .github/scripts/test/test-tiers.test.ts checks
// that every test file on disk lands in exactly one of them.
const path = require('node:path');

/** Every workspace with tests; each keeps its suites in `<workspace>/test/`. */
const WORKSPACES = [
  'schemas',
  'functions',
  'producer',
  'cdktf',
  'local/eventhubs-emulator',
  'local/gateway',
  'local/emulators',
  'local/functions-host',
  'local/stack',
  'local/faults',
  '.github/scripts',
];

/** Tier name → file suffix. `unit` is whatever carries none of the other suffixes. */
const SUFFIXES = {
  e2e: '.e2e.test.ts',
  browser: '.browser.test.ts',
  faults: '.faults.test.ts',
};
const TIERS = ['unit', 'e2e', 'browser', 'faults'];

/** @param {string} file a test file's path @returns {string} its tier */
function tierOf(file) {
  for (const [tier, suffix] of Object.entries(SUFFIXES)) if (file.endsWith(suffix)) return tier;
  return 'unit';
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The jest `testMatch`/`testPathIgnorePatterns` of one tier, relative to the repository root.
 * @param {string} tier
 */
function selection(tier) {
  const suffix = tier === 'unit' ? '.test.ts' : SUFFIXES[tier];
  return {
    testMatch: WORKSPACES.map((workspace) => `<rootDir>/${workspace}/test/**/*${suffix}`),
    testPathIgnorePatterns: [
      '/node_modules/',
      '/dist/',
      ...(tier === 'unit' ? Object.values(SUFFIXES).map((other) => `${escape(other)}$`) : []),
    ],
  };
}

module.exports = { REPO_ROOT: path.join(__dirname, '..'), WORKSPACES, SUFFIXES, TIERS, tierOf, selection };
