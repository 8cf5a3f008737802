// Preloaded (`node --require`) into every child process the local stack and the tests spawn: when the
// process that spawned it is gone (a test runner killed by a signal or by its own timeout, which skips
// the parent's exit handlers), the child stops itself instead of holding its port, memory and CPU.
// SIGTERM first so the child's own shutdown runs; SIGKILL if that has not ended it within 5 s.
'use strict';
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 5_000).unref();
}, 1_000);
watch.unref();
