// The systems the stack runs on: Linux (WSL2 included) and macOS. In a Windows terminal (not WSL2)
// the first failure would come much later and say nothing useful (a signal, a path, a tool that is
// not there), so the stack stops at once with where to go instead.

/** Why the stack does not run on `platform`, or undefined when it does. */
export function unsupportedPlatformMessage(platform: NodeJS.Platform): string | undefined {
  if (platform === 'linux' || platform === 'darwin') return undefined;
  if (platform === 'win32')
    return (
      'This is Windows outside WSL2: the local stack, `npm test`, `npm run bench` and `npm run faults` run on ' +
      'Linux and macOS only. Install WSL2 (`wsl --install` in an administrator PowerShell, then restart), ' +
      'clone the repository inside it (in your Linux home folder, not under /mnt/c) and run the same ' +
      'commands there. See docs/local-development.md, "Your machine".'
    );
  return `The local stack runs on Linux (WSL2 included) and macOS, not on ${platform}. See docs/local-development.md, "Your machine".`;
}

/** Throws the message above on a system the stack does not run on. */
export function assertSupportedPlatform(platform: NodeJS.Platform = process.platform): void {
  const message = unsupportedPlatformMessage(platform);
  if (message) throw new Error(message);
}
