// The knobs of `npm run bench`, in one place so the report states the settings the run used.

/** The producer in every pipeline step and in the bare/gateway ceilings: the same settings everywhere. */
export const PRODUCER = { concurrency: 16, batchSize: 25, maxRetries: 10 } as const;

/**
 * Seconds each store ceiling warms up (not counted: the stores start cold, the pipeline meets them
 * warm), its measured windows of `seconds` each, and its requests in flight. A ceiling must saturate
 * its store: with 16 in flight Azurite spent about twice the CPU per write it spends inside the
 * pipeline, where ingest has up to 16 requests x 25 events x 2 writes in flight, and the "ceiling" came
 * out below the pipeline. The ceiling is the best window: a neighbour's burst only ever lowers a
 * window, and one 5 s window put the Cosmos DB ceiling anywhere from 1,887 to 3,541 upserts/s in runs
 * 10 minutes apart (docs/decisions.md HOST-9), which swung the issue-16 ratio more than any change did.
 */
export const STORE_CEILING = { warmupSeconds: 3, windows: 3, seconds: 3, concurrency: 64 } as const;

/**
 * The Cosmos DB ceiling as consume writes (HOST-10): bulk requests of this many upserts, as many in
 * flight as the hub has partitions (one consume invocation per partition at a time), over this many
 * distinct requests' ids (then the same ids again: 40,000 documents at most, about what the
 * one-per-request ceiling writes).
 */
export const BULK_CEILING = { perRequest: 100, inFlight: 2, distinctRequests: 400 } as const;

/** Event Hubs ceiling: events sent (then received) in SDK batches of this many. */
export const HUB_CEILING = { events: 20_000, batch: 100, sendsInFlight: 4 } as const;

/**
 * Requests of the gateway ceiling: under the product's rate limit (1,200 calls per 60 s per
 * subscription), so the real policies run unmodified and the figure is their cost, not their refusals.
 */
export const GATEWAY_CEILING_REQUESTS = 1_000;

/** Seconds the bare-server ceiling runs (its producer loops over the dataset). */
export const BARE_CEILING_SECONDS = 5;

/**
 * Events run through the whole pipeline before the steps, unmeasured, so the steps meet a warm functions
 * host (see `warmUp` in steps.ts). 480 requests of 25: with the steps, under the product's rate limit
 * of 1,200 calls per 60 s, so no step is throttled by the warm-up.
 */
export const PIPELINE_WARMUP_EVENTS = 12_000;
