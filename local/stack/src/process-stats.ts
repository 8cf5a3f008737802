// The portable process figures live in @pipeline/emulators (the bottom of the workspace graph, so the
// emulators' own benches share them); the stack re-exports them for the bench and the faults suite.
export {
  machineBusySeconds,
  sampleProcess,
  type ProcessReaders,
  type ProcessSample,
} from '@pipeline/emulators';
