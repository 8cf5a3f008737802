// The unit tier's test environment: jest's node environment, except that the suite cannot start a
// child process or a listening server. Unit suites then run anywhere, in seconds, in parallel;
// a suite that needs a process or a port fails at once and says where it belongs, instead of hiding a
// slow, port-hungry test in the tier people run on every save.
// The patches go on Node's own module objects, which all suites of a jest worker share, so teardown
// (which jest runs even when the suite fails to load) puts the real functions back for the next suite.
const { TestEnvironment } = require('jest-environment-node');
const childProcess = require('node:child_process');
const net = require('node:net');

const HOW =
  'unit suites start no server and no child process: name the file *.e2e.test.ts (docs/local-development.md, "Test tiers")';

/** [object, method, what it does] for everything that starts a process or listens on a port. */
const GUARDED = [
  ...['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'].map((name) => [
    childProcess,
    name,
    `child_process.${name}`,
  ]),
  [net.Server.prototype, 'listen', 'a listening server (net.Server.listen)'],
];

class UnitEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    // Lets the tier's own test (test-tiers.test.ts) know that the guard is on.
    this.global.__unitTier = true;
    this.originals = GUARDED.map(([target, name]) => [target, name, target[name]]);
    for (const [target, name, what] of GUARDED)
      target[name] = function refused() {
        throw new Error(`unit tier: ${what} is not allowed; ${HOW}`);
      };
  }

  async teardown() {
    for (const [target, name, original] of this.originals ?? []) target[name] = original;
    await super.teardown();
  }
}

module.exports = UnitEnvironment;
