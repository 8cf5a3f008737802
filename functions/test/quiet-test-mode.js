// Outside the Azure host, @azure/functions runs in "test mode" and warns once per registration that
// it skips app.http(...)/app.eventHub(...). Expected in unit tests, so that one warning is dropped.
const warn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('package is in test mode')) return;
  warn(...args);
};
