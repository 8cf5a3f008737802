import { assertSupportedPlatform, unsupportedPlatformMessage } from '../src/platform';

describe('the systems the stack runs on', () => {
  it('runs on Linux (WSL2 is Linux) and macOS', () => {
    expect(unsupportedPlatformMessage('linux')).toBeUndefined();
    expect(unsupportedPlatformMessage('darwin')).toBeUndefined();
    expect(() => assertSupportedPlatform('darwin')).not.toThrow();
  });

  it('sends a Windows terminal to WSL2, with the command and the doc', () => {
    const message = unsupportedPlatformMessage('win32')!;
    expect(message).toMatch(/^This is Windows outside WSL2/);
    expect(message).toContain('wsl --install');
    expect(message).toContain('docs/local-development.md');
    expect(() => assertSupportedPlatform('win32')).toThrow(message);
  });

  it('names any other system plainly', () => {
    expect(unsupportedPlatformMessage('freebsd')).toMatch(/not on freebsd/);
  });
});
