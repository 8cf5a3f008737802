// One jest run over every workspace (`npm test` at the root). Each workspace has its own
// jest.config.js built from jest.preset.js, so `npx jest --selectProjects functions` works too.
module.exports = {
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
    '<rootDir>/.github/scripts',
  ],
};
