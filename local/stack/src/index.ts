// What other workspaces (the fault suite) use to run the whole pipeline on loopback.
export { startStack, type RunningStack, type StackOptions, type InterposedStore } from './launcher';
export { paths, REPO_ROOT } from './paths';
export { isPortFree } from './ports';
export { PIPELINE_NAMES } from './provision';
export { sampleProcess } from './process-stats';
export { nearestRank, storeLatencies, waitForStored, type StoredTimes } from './summary';
export {
  currentCommit,
  machineInfo,
  replaceMarkedSection,
  writeMarkedSection,
  type Machine,
} from './report-files';
