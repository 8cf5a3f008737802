import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { unsupportedPlatformMessage } from '../src/platform';

describe('the systems the stack runs on', () => {
  // The compiled CLI as a Windows terminal would run it (process.platform replaced before it loads):
  // it stops at once with the message, before parsing arguments or touching a port.
  it('stops `npm start` in a Windows terminal with that message', () => {
    const cli = join(__dirname, '../dist/src/cli.js');
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        `Object.defineProperty(process, 'platform', { value: 'win32' }); require(${JSON.stringify(cli)});`,
        'start',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.stderr).toBe(`✗ ${unsupportedPlatformMessage('win32')}\n`);
    expect(result.status).toBe(1);
  });
});
