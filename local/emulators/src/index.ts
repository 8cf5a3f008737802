export * from './azurite';
export * from './cosmos';
export * from './child-process';
export * from './self-signed';
export * from './process-stats';
export * from './provision';
export * from './wait';
export * from './blobs';
