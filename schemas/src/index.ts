export type { TweetEvent, SatelliteImage } from './generated/tweet-event';
export type { HubEvent, ImageReference } from './generated/hub-event';
export * from './validation';
export * from './event-id';
export * from './limits';
export * from './apim-tiers';
export * from './raw-archive';
