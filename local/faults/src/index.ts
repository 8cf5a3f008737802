export * from './scenario';
export * from './audit';
export * from './fault-stack';
