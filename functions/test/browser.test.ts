import {
  candidates,
  findBrowser,
  installAdvice,
  pretestPlan,
  type BrowserSearch,
} from '../scripts/browser.cjs';

/** A file system holding exactly `files` (as executables). */
const only =
  (...files: string[]) =>
  (file: string) =>
    files.includes(file);

const search = (platform: NodeJS.Platform, env: Record<string, string>, ...files: string[]) =>
  findBrowser({
    platform,
    env,
    home: platform === 'win32' ? 'C:\\Users\\ada' : '/home/ada',
    isExecutable: only(...files),
  });

describe('findBrowser', () => {
  it('takes CHROME_PATH first, on every platform, over a browser in a usual place', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const result = search(
        platform,
        { CHROME_PATH: '/opt/edge/msedge', PATH: '/usr/bin' },
        '/opt/edge/msedge',
        '/usr/bin/chromium',
      );
      expect(result).toEqual({ found: true, path: '/opt/edge/msedge', how: 'from CHROME_PATH' });
    }
  });

  it('does not fall back when CHROME_PATH names nothing: it says so', () => {
    const result = search(
      'linux',
      { CHROME_PATH: '/opt/gone/chrome', PATH: '/usr/bin' },
      '/usr/bin/chromium',
    );
    expect(result.found).toBe(false);
    expect((result as { message: string }).message).toMatch(
      /^CHROME_PATH is \/opt\/gone\/chrome, which is not an executable file/,
    );
  });

  describe('on Linux', () => {
    it("prefers Debian's chromium, then chromium-browser, google-chrome, google-chrome-stable", () => {
      const all = [
        '/usr/bin/google-chrome-stable',
        '/usr/bin/google-chrome',
        '/usr/bin/chromium-browser',
        '/usr/bin/chromium',
      ];
      for (let i = 0; i < all.length; i++)
        expect(search('linux', { PATH: '/usr/bin' }, ...all.slice(0, i + 1))).toMatchObject({ path: all[i] });
    });

    it('looks on PATH first, then in /usr/bin and /snap/bin when PATH does not list them', () => {
      expect(
        search(
          'linux',
          { PATH: '/home/ada/bin:/usr/local/bin' },
          '/usr/local/bin/chromium',
          '/usr/bin/chromium',
        ),
      ).toMatchObject({
        path: '/usr/local/bin/chromium',
      });
      expect(search('linux', { PATH: '/usr/local/bin' }, '/snap/bin/chromium')).toMatchObject({
        path: '/snap/bin/chromium',
      });
      expect(search('linux', {}, '/usr/bin/google-chrome')).toMatchObject({ path: '/usr/bin/google-chrome' });
    });

    it('ignores relative PATH entries (a browser in the working folder is no browser to trust)', () => {
      expect(
        candidates('linux', { PATH: 'node_modules/.bin:/usr/bin' }, '/home/ada').some(
          (c) => !c.startsWith('/'),
        ),
      ).toBe(false);
    });

    it('says what to install and what to set when there is none', () => {
      const result = search('linux', { PATH: '/usr/bin' });
      expect(result.found).toBe(false);
      const { message } = result as Extract<BrowserSearch, { found: false }>;
      expect(message).toContain('/usr/bin/chromium');
      expect(message).toContain('/snap/bin/google-chrome-stable');
      expect(message).toContain('sudo apt-get install -y chromium');
      expect(message).toContain('CHROME_PATH');
    });
  });

  describe('on macOS', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    const chromium = '/Applications/Chromium.app/Contents/MacOS/Chromium';
    const userChromium = '/home/ada/Applications/Chromium.app/Contents/MacOS/Chromium';

    it('finds Google Chrome, else Chromium, in /Applications and then ~/Applications', () => {
      expect(search('darwin', {}, chromium, chrome)).toMatchObject({ path: chrome });
      expect(search('darwin', {}, chromium)).toMatchObject({ path: chromium });
      expect(search('darwin', {}, userChromium)).toMatchObject({ path: userChromium });
    });

    it('does not look for Linux names on PATH', () => {
      expect(search('darwin', { PATH: '/usr/bin' }, '/usr/bin/chromium').found).toBe(false);
    });

    it('says to install Chrome or Chromium (Homebrew) when there is none', () => {
      const result = search('darwin', {});
      expect(result.found).toBe(false);
      expect((result as { message: string }).message).toMatch(
        /Google Chrome.*brew install --cask chromium.*CHROME_PATH/,
      );
    });
  });

  describe('on Windows (a Windows terminal, not WSL2)', () => {
    it('finds Chrome in Program Files, Program Files (x86) and the per-user install', () => {
      const env = {
        PROGRAMFILES: 'D:\\Programs',
        'PROGRAMFILES(X86)': 'D:\\Programs (x86)',
        LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local',
      };
      expect(
        search('win32', env, 'D:\\Programs (x86)\\Google\\Chrome\\Application\\chrome.exe'),
      ).toMatchObject({
        path: 'D:\\Programs (x86)\\Google\\Chrome\\Application\\chrome.exe',
      });
      expect(
        search('win32', env, 'C:\\Users\\ada\\AppData\\Local\\Chromium\\Application\\chrome.exe'),
      ).toMatchObject({
        path: 'C:\\Users\\ada\\AppData\\Local\\Chromium\\Application\\chrome.exe',
      });
      expect(search('win32', {}, 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe').found).toBe(
        true,
      );
    });

    it('sends the person to WSL2 when there is none', () => {
      const result = search('win32', {});
      expect((result as { message: string }).message).toContain('WSL2');
      expect(installAdvice('win32')).toContain('docs/local-development.md');
    });
  });
});

describe('pretestPlan', () => {
  const missing = search('linux', {});
  const state = {
    search: missing,
    platform: 'linux' as const,
    isRoot: true,
    hasAptGet: true,
    explicit: false,
  };

  it("installs Debian's chromium only on Linux, as root, with apt-get, and no browser set or found", () => {
    expect(pretestPlan(state)).toEqual({ action: 'apt-install' });
    expect(pretestPlan({ ...state, isRoot: false }).action).toBe('explain');
    expect(pretestPlan({ ...state, hasAptGet: false }).action).toBe('explain');
    expect(pretestPlan({ ...state, platform: 'darwin' }).action).toBe('explain');
  });

  it('leaves a wrong CHROME_PATH to its owner rather than installing another browser', () => {
    const wrong = search('linux', { CHROME_PATH: '/nope' });
    expect(pretestPlan({ ...state, search: wrong, explicit: true })).toEqual({
      action: 'explain',
      message: (wrong as { message: string }).message,
    });
  });

  it('does nothing when a browser is found', () => {
    expect(pretestPlan({ ...state, search: search('linux', {}, '/usr/bin/chromium') })).toEqual({
      action: 'none',
      path: '/usr/bin/chromium',
    });
  });
});
