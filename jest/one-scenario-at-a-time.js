// Set up before every faults suite (jest.config.js): one fault scenario at a time across all jest
// workers. Each scenario starts a whole stack and drives it to its limits (floods, 10,000 fuzz
// requests, 20,000 events through host kills) on a deadline; two at once on a 2-core machine starve
// each other into timeouts and 500s that are not the faults under test. The other workers keep
// running the other tiers meanwhile (jest/sequencer.js starts one scenario first and queues the
// rest last, so a worker rarely waits here).
// The lock is a directory (mkdir is atomic) in the run's own folder (jest/functions-bundle.js), so a
// lock left by a killed run never blocks the next one. Without that folder (PIPELINE_FUNCTIONS_APP
// given from outside) there is no lock.
/* global beforeAll, afterAll */
const { mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const WAIT_MS = 60 * 60_000;
const work = process.env.PIPELINE_FUNCTIONS_WORK;
const lock = work && join(work, 'fault-scenario.lock');
let held = false;

beforeAll(async () => {
  while (lock) {
    try {
      mkdirSync(lock);
      held = true;
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      await sleep(250);
    }
  }
}, WAIT_MS);

afterAll(() => {
  if (held && lock) rmSync(lock, { recursive: true, force: true });
  held = false;
});
