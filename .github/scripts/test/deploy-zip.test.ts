import { backoffDelays, isRetryableDeployFailure } from '../src/deploy-zip';
import { NOT_FOUND, UPLOAD_403 } from './az-responses';

describe('deploy-zip: config-zip with a bounded backoff', () => {
  it('doubles the wait, capped, and bounds the number of waits by the attempts', () => {
    expect(backoffDelays(6, 15_000, 120_000)).toEqual([15_000, 30_000, 60_000, 120_000, 120_000]);
    expect(backoffDelays(1, 15_000, 120_000)).toEqual([]);
    const worst = backoffDelays(6, 15_000, 120_000).reduce((a, b) => a + b, 0);
    expect(worst).toBeLessThanOrEqual(10 * 60_000);
  });

  it('classifies failures by what az prints', () => {
    const r = (stderr: string) => isRetryableDeployFailure({ code: 1, stdout: '', stderr });
    expect(r(UPLOAD_403.stderr!)).toBe(true);
    expect(r('ERROR: Bad Gateway (502)')).toBe(true);
    expect(r(NOT_FOUND.stderr!)).toBe(false);
    expect(r("ERROR: [Errno 2] No such file or directory: '/tmp/functions.zip'")).toBe(false);
  });
});
