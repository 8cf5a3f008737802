const preset = require('../jest.preset')(__dirname);

module.exports = { ...preset, setupFiles: ['<rootDir>/test/quiet-test-mode.js'] };
