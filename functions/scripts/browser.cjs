// Which Chromium-based browser the dashboard's browser tests drive (playwright-core never downloads
// one), on Linux, macOS and Windows. The search is pure: the platform, the environment and the
// file-system check come in as arguments, so every platform's search is tested on any machine (functions/test/browser.test.ts).
// Plain CommonJS, no build step: the pre-test step (ensure-browser.mjs) runs before `tsc -b`.
'use strict';
const { accessSync, constants, statSync } = require('node:fs');
const path = require('node:path');

/** The setting that names the browser explicitly; it wins over every usual place. */
const SETTING = 'CHROME_PATH';

/** Executable names on Linux, in order: Debian's chromium first (this repository's CI installs it). */
const LINUX_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
/** Where Linux packages put them when PATH does not say (a CI shell, a sudo with a reset PATH). */
const LINUX_DIRS = ['/usr/bin', '/snap/bin'];
/** macOS application bundles, looked for in /Applications and then ~/Applications. */
const MAC_APPS = ['Google Chrome.app/Contents/MacOS/Google Chrome', 'Chromium.app/Contents/MacOS/Chromium'];

/**
 * Every place to look on `platform`, in order (the explicit setting apart).
 * @param {NodeJS.Platform} platform
 * @param {Record<string, string | undefined>} env
 * @param {string} home the user's home folder
 * @returns {string[]}
 */
function candidates(platform, env, home) {
  if (platform === 'darwin') {
    const roots = ['/Applications', path.posix.join(home, 'Applications')];
    return roots.flatMap((root) => MAC_APPS.map((app) => path.posix.join(root, app)));
  }
  if (platform === 'win32') {
    // Chrome's per-machine and per-user installs, and Chromium's per-user one. Only reached from a
    // Windows terminal: under WSL2 the platform is linux.
    const programFiles = [
      env.PROGRAMFILES ?? 'C:\\Program Files',
      env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)',
    ];
    const local = env.LOCALAPPDATA ? [env.LOCALAPPDATA] : [];
    return [
      ...[...programFiles, ...local].map((root) =>
        path.win32.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      ),
      ...local.map((root) => path.win32.join(root, 'Chromium', 'Application', 'chrome.exe')),
    ];
  }
  const pathDirs = (env.PATH ?? '').split(path.posix.delimiter).filter((dir) => dir.startsWith('/'));
  const dirs = [...new Set([...pathDirs, ...LINUX_DIRS])];
  return LINUX_NAMES.flatMap((name) => dirs.map((dir) => path.posix.join(dir, name)));
}

/**
 * What to install or set, for the message a person reads when no browser is found.
 * @param {NodeJS.Platform} platform
 * @returns {string}
 */
function installAdvice(platform) {
  const setting = `or set ${SETTING} to a Chromium-based browser's executable`;
  if (platform === 'darwin')
    return `Install Google Chrome (https://www.google.com/chrome/) or Chromium (brew install --cask chromium), ${setting}.`;
  if (platform === 'win32')
    return `Run this repository inside WSL2 (docs/local-development.md, "Your machine"), not from a Windows terminal; there, install a browser as on Linux, ${setting}.`;
  return `Install Chromium (Debian: sudo apt-get install -y chromium; Fedora: sudo dnf install -y chromium) or Google Chrome (Ubuntu and WSL2: https://www.google.com/chrome/, its .deb), ${setting}.`;
}

/**
 * @typedef {{ found: true, path: string, how: string } | { found: false, message: string }} BrowserSearch
 */

/**
 * Finds the browser: CHROME_PATH when set (and then only there), else the usual places.
 * @param {{
 *   platform: NodeJS.Platform,
 *   env: Record<string, string | undefined>,
 *   home: string,
 *   isExecutable: (file: string) => boolean,
 * }} options
 * @returns {BrowserSearch}
 */
function findBrowser({ platform, env, home, isExecutable }) {
  const explicit = env[SETTING];
  if (explicit) {
    // An explicit setting that is wrong is an error, not a hint: falling back would test another browser.
    return isExecutable(explicit)
      ? { found: true, path: explicit, how: `from ${SETTING}` }
      : {
          found: false,
          message: `${SETTING} is ${explicit}, which is not an executable file: point it at a Chromium-based browser's executable, or unset it to look in the usual places.`,
        };
  }
  const places = candidates(platform, env, home);
  const hit = places.find((file) => isExecutable(file));
  if (hit) return { found: true, path: hit, how: 'found in a usual place' };
  return {
    found: false,
    message: `No Chromium or Chrome found for the dashboard's browser tests (looked in ${places.join(', ')}). ${installAdvice(platform)}`,
  };
}

/**
 * What the pre-test step does: nothing when a browser is found; install Debian's chromium where it
 * can (Linux, root, apt-get: this repository's CI and dev containers); else explain.
 * @param {{ search: BrowserSearch, platform: NodeJS.Platform, isRoot: boolean, hasAptGet: boolean, explicit: boolean }} state
 * @returns {{ action: 'none', path: string } | { action: 'apt-install' } | { action: 'explain', message: string }}
 */
function pretestPlan({ search, platform, isRoot, hasAptGet, explicit }) {
  if (search.found) return { action: 'none', path: search.path };
  // A wrong CHROME_PATH is the person's to fix: installing another browser would hide it.
  if (platform === 'linux' && isRoot && hasAptGet && !explicit) return { action: 'apt-install' };
  return { action: 'explain', message: search.message };
}

/**
 * The real check the callers pass as `isExecutable` (kept apart from the pure search): an executable
 * regular file, since a folder has the execute bit too.
 * @param {string} file
 * @returns {boolean}
 */
function isExecutableFile(file) {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

module.exports = { SETTING, candidates, findBrowser, installAdvice, isExecutableFile, pretestPlan };
