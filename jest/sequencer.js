// Longest suites first, so the workers finish together. Jest's own order does this from the last
// run's times in its cache; without them (a fresh checkout, CI) it orders by file size, which would
// start the fault lane, a small file, last, and the whole run would then wait for it alone. Here a
// suite without a cached time is placed by its tier's typical length instead, so the fault lane
// (local/faults/test/scenarios.faults.test.ts, the only faults suite: scenarios run one after another
// by construction) starts first and the other tiers share the remaining workers meanwhile.
const { default: Sequencer } = require('@jest/test-sequencer');
const { tierOf } = require('./tiers');

/** Typical suite length per tier (ms), measured on the 2-core reference machine (docs/performance.md). */
const TYPICAL_MS = { faults: 240_000, browser: 60_000, e2e: 15_000, unit: 3_000 };

class LongestFirst extends Sequencer {
  sort(tests) {
    const length = (test) => this.time(test) ?? TYPICAL_MS[tierOf(test.path)];
    return [...tests].sort(
      (a, b) => Number(this.hasFailed(b)) - Number(this.hasFailed(a)) || length(b) - length(a),
    );
  }
}

module.exports = LongestFirst;
