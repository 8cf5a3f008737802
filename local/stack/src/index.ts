// What other workspaces (the fault suite) use to run the whole pipeline on loopback.
export { startStack, type RunningStack, type StackOptions, type InterposedStore } from './launcher';
export { paths, REPO_ROOT } from './paths';
export {
  FUNCTIONS_PROCESS,
  functionsPids,
  type FunctionsHostService,
  type FunctionsInstance,
} from './services/functions';
export { isPortFree } from './ports';
export { PIPELINE_NAMES } from './provision';
export { machineBusySeconds, sampleProcess, type ProcessSample } from './process-stats';
export { assertSupportedPlatform, unsupportedPlatformMessage } from './platform';
export { nearestRank, storeLatencies, waitForStored, type StoredTimes } from './summary';
export {
  currentCommit,
  machineInfo,
  replaceMarkedSection,
  writeMarkedSection,
  type Machine,
} from './report-files';
