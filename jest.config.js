// One jest run over every workspace (`npm test` at the root). Each workspace has its own
// jest.config.js built from jest.preset.js, so `npx jest --selectProjects functions` works too.
module.exports = {
  // A safety net, not a habit: every suite stops what it starts in afterAll, but a suite that times out
  // mid-setup can leave a child process behind, and CI must finish rather than wait on it forever.
  forceExit: true,
  // jest reads testTimeout from the global config only (jest-circus's jestAdapterInit), so the preset's
  // per-project value applies when a workspace runs alone; in this multi-project run it is set here.
  testTimeout: 60_000,
  projects: [
    '<rootDir>/schemas',
    '<rootDir>/functions',
    '<rootDir>/producer',
    '<rootDir>/cdktf',
    '<rootDir>/local/eventhubs-emulator',
    '<rootDir>/local/gateway',
    '<rootDir>/local/emulators',
    '<rootDir>/local/functions-host',
    '<rootDir>/local/stack',
    '<rootDir>/local/faults',
    '<rootDir>/.github/scripts',
  ],
};
