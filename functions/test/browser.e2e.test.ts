import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The script itself, on this machine, on the paths that install nothing.
describe('ensure-browser.mjs', () => {
  const SCRIPT = join(__dirname, '../scripts/ensure-browser.mjs');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8' });

  it('explains a wrong CHROME_PATH and lets npm test go on', () => {
    const result = run({ CHROME_PATH: '/nonexistent/chrome' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      'ensure-browser: CHROME_PATH is /nonexistent/chrome, which is not an executable file',
    );
  });

  it('says nothing when CHROME_PATH names a real executable', () => {
    const result = run({ CHROME_PATH: process.execPath });
    expect([result.status, result.stderr]).toEqual([0, '']);
  });
});
