// Global teardown of the tiers that build the functions bundle (see functions-bundle.js).
module.exports = require('./functions-bundle').teardown;
