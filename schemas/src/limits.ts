/**
 * Limits of the message contract, in one place so the schema, the ingest function, the producer
 * and the gateway agree. The schema file states the same numbers; a test keeps them in step.
 */
export const MAX_TEXT_CHARACTERS = 280;
/** Largest image the contract accepts, in bytes (the dataset's 128x128 JPEGs are 5-15 KB). */
export const MAX_IMAGE_BYTES = 64 * 1024;
/** Base64 length of MAX_IMAGE_BYTES: 4 characters for every 3 bytes, padded. */
export const MAX_IMAGE_BASE64_CHARACTERS = Math.ceil(MAX_IMAGE_BYTES / 3) * 4;
/** Most events in one POST to the ingest API. */
export const MAX_EVENTS_PER_REQUEST = 100;
/**
 * Largest request body the ingest API reads, in bytes. 100 events with the largest image would be
 * ~8.8 MB; real events are ~10-20 KB, so 4 MiB holds a full batch of real events with room to spare
 * while bounding what one request can make the function buffer.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** The slim event sent to Event Hubs stays under this size for any event with ASCII text (claim check). */
export const HUB_EVENT_TARGET_BYTES = 1024;
