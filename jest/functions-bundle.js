// Global setup of the e2e, browser and faults tiers: build the functions deployment bundle once per
// jest run, from the current sources, into a temporary folder that belongs to this run alone.
// Suites find it through PIPELINE_FUNCTIONS_APP (local/stack/src/paths.ts) and PIPELINE_FUNCTIONS_ZIP;
// none of them builds or deletes a bundle, so a host started by one suite never loses its app to
// another suite's rebuild, and `npm start` in the same checkout cannot pull it away either.
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** Set before the workers start, so every suite (and every process it spawns) inherits it. */
module.exports = async function buildFunctionsBundle() {
  // Already given (a caller that built one, or a nested jest): use it as it is.
  if (process.env.PIPELINE_FUNCTIONS_APP) return;
  const work = mkdtempSync(join(tmpdir(), 'pipeline-functions-'));
  // The bundle's entry is tsc's output; `tsc -b` is a no-op (about 2 s) when npm test already built.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', join(ROOT, 'functions')], {
    stdio: 'inherit',
  });
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'functions/scripts/package.mjs'),
      '--staging',
      join(work, 'package'),
      '--out',
      join(work, 'functions.zip'),
    ],
    { cwd: join(ROOT, 'functions'), stdio: 'pipe' },
  );
  process.env.PIPELINE_FUNCTIONS_WORK = work;
  process.env.PIPELINE_FUNCTIONS_APP = join(work, 'package', 'dist', 'index.js');
  process.env.PIPELINE_FUNCTIONS_ZIP = join(work, 'functions.zip');
};

/** Global teardown: the run's bundle goes with the run. */
module.exports.teardown = async function removeFunctionsBundle() {
  const work = process.env.PIPELINE_FUNCTIONS_WORK;
  if (work) rmSync(work, { recursive: true, force: true });
};
