// Longest suites first, so the workers finish together. Jest's own order does this from the last
// run's times in its cache; without them (a fresh checkout, CI) it orders by file size, which starts
// the long fault scenarios, small files, last, and the whole run then waits for them alone. Here a
// suite without a cached time is placed by its tier's typical length instead.
// Fault scenarios run one at a time (jest/one-scenario-at-a-time.js): the longest starts first, the
// others wait at the end of the queue, so no worker sits waiting for the lock while other suites
// could run.
const { default: Sequencer } = require('@jest/test-sequencer');
const { tierOf } = require('./tiers');

/** Typical suite length per tier (ms), measured on the 2-core reference machine (docs/performance.md). */
const TYPICAL_MS = { faults: 120_000, browser: 60_000, e2e: 15_000, unit: 3_000 };

class LongestFirst extends Sequencer {
  sort(tests) {
    const length = (test) => this.time(test) ?? TYPICAL_MS[tierOf(test.path)];
    const sorted = [...tests].sort(
      (a, b) => Number(this.hasFailed(b)) - Number(this.hasFailed(a)) || length(b) - length(a),
    );
    const faults = sorted.filter((test) => tierOf(test.path) === 'faults');
    const later = new Set(faults.slice(1));
    return [...sorted.filter((test) => !later.has(test)), ...later];
  }
}

module.exports = LongestFirst;
