// Outside the Azure host, @azure/functions runs in "test mode" and warns once per registration that
// it skips app.http(...)/app.eventHub(...). Expected in unit tests, so those warnings are dropped.
const warn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === 'string' && /test mode/.test(args[0])) return;
  warn(...args);
};
