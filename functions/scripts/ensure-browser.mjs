#!/usr/bin/env node
// The pre-test step (`pretest` in the root package.json): makes sure the dashboard's browser tests
// have a Chromium-based browser (browser.cjs says where it looks). On a Linux machine where this user
// is root and has apt-get (this repository's CI, a dev container) it installs Debian's chromium;
// anywhere else it says what to install or set, and the browser tests fail with the same message.
// It never fails `npm test` by itself, except when an install it started does not give a browser.
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SETTING, findBrowser, isExecutableFile, pretestPlan } = require('./browser.cjs');

const say = (line) => process.stderr.write(`ensure-browser: ${line}\n`);

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const search = () =>
  findBrowser({
    platform: process.platform,
    env: process.env,
    home: homedir(),
    isExecutable: isExecutableFile,
  });

// A Windows terminal (not WSL2) is not a system this repository runs on: say so first, whatever follows.
if (process.platform === 'win32')
  say(
    'this is Windows outside WSL2, where the stack and its tests do not run; open the repository in WSL2 (docs/local-development.md, "Your machine").',
  );

const first = search();
const plan = pretestPlan({
  search: first,
  platform: process.platform,
  isRoot: process.getuid?.() === 0,
  hasAptGet: process.platform === 'linux' && onPath('apt-get'),
  explicit: Boolean(process.env[SETTING]),
});

if (plan.action === 'none') {
  // Quiet when all is well: npm test prints enough.
} else if (plan.action === 'explain') {
  say(plan.message);
} else {
  say("no browser found; installing Debian's chromium (apt-get)...");
  const apt = (args) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', 'chromium']);
  const after = search();
  if (!after.found) {
    say(`apt-get installed chromium, yet: ${after.message}`);
    process.exitCode = 1;
  } else {
    say(`installed ${after.path}`);
  }
}
