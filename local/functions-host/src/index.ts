export {
  startFunctionsHost,
  HostStartupError,
  type FunctionsHostOptions,
  type RunningFunctionsHost,
} from './host';
export { spawnFunctionsHost, cliScript, type SpawnedFunctionsHost, type SpawnOptions } from './spawn';
export { readSettingsFile, parseLocalSettings, type HostSettings } from './settings';
export { consoleLogger, type HostLogger } from './logger';
export { CHECKPOINT_CONTAINER } from './event-hub-trigger';
export { DEFAULT_MAX_REQUEST_BYTES } from './http-trigger';
export {
  HTTP_SCALE_GROUP,
  scaleGroupOf,
  scaleGroupsOf,
  scaleGroupLabel,
  type TriggerType,
} from './scale-groups';
