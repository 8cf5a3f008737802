#!/usr/bin/env node
// The last step of `npm test`: eslint and the jest run at the same time, both to the end.
// Why: eslint with type information takes ~40 s of wall time (~55 s of CPU) on the 2-core reference
// machine, and jest leaves part of the CPU idle while the fault lane's stacks restart and the e2e
// suites wait on processes: run in a row, lint added its whole time to `npm test`; alongside, most
// of it fits into those gaps (docs/performance.md, "Test suite time").
// eslint's report is held back and printed after jest's, so the two never interleave; the exit code
// fails if either failed. Arguments go to jest (`npm test -- --json --outputFile x`).
const { spawn } = require('node:child_process');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const ESLINT = join(dirname(require.resolve('eslint/package.json')), 'bin', 'eslint.js');
const JEST = require.resolve('jest/bin/jest');

/** Runs a Node script from the repository root; resolves with its exit code (1 if killed). */
function run(script, args, stdio) {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio });
  const output = [];
  child.stdout?.on('data', (chunk) => output.push(chunk));
  child.stderr?.on('data', (chunk) => output.push(chunk));
  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      output.push(Buffer.from(`${error.message}\n`));
      resolve(1);
    });
    child.once('close', (code) => resolve(code ?? 1));
  });
  return { child, exited, output };
}

async function main() {
  const lint = run(ESLINT, ['--max-warnings', '0', '.'], ['ignore', 'pipe', 'pipe']);
  const jest = run(JEST, process.argv.slice(2), 'inherit');
  // Ctrl-C reaches both through the terminal's process group; a plain SIGTERM to this script must too.
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      lint.child.kill(signal);
      jest.child.kill(signal);
    });
  const [lintCode, jestCode] = await Promise.all([lint.exited, jest.exited]);
  const report = Buffer.concat(lint.output).toString('utf8').trim();
  process.stdout.write(
    lintCode === 0
      ? `\neslint (alongside jest): no problems\n`
      : `\neslint (alongside jest) failed with exit code ${lintCode}:\n${report}\n`,
  );
  return lintCode !== 0 ? lintCode : jestCode;
}

main().then((code) => process.exit(code));
