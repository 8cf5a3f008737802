import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_EVENTS_PER_REQUEST, tweetEventSchema } from '@pipeline/schemas';

/** The APIM schema id the ingest API's validate-content policy names (agreed with the infrastructure). */
export const INGEST_SCHEMA_ID = 'tweet-event';

/** Where APIM schemas live: `policies/schemas/<schema-id>.json`, one file per schema, uploaded verbatim. */
export const SCHEMAS_FOLDER = 'schemas';

type JsonObject = Record<string, unknown>;

/**
 * The schema APIM registers as `tweet-event`: the request body of `POST /ingest/events`, which is one
 * TweetEvent or an array of 1..MAX_EVENTS_PER_REQUEST of them. APIM validates a body against one
 * schema, and the message contract describes a single event, so this wraps the contract: the
 * contract's own definitions are hoisted under `$defs` unchanged (its `#/$defs/...` references stay
 * valid) and `if`/`then`/`else` picks the array or the single-event form, so a bad body gets the errors
 * of the form it used, not of both. Generated from schemas/tweet-event.schema.json; a test fails when
 * the committed file is stale.
 */
export function buildIngestRequestSchema(contract: JsonObject = tweetEventSchema): JsonObject {
  const { $schema, $id, $defs, ...event } = contract;
  const contractId = typeof $id === 'string' ? $id : 'the message contract';
  return {
    $schema: $schema ?? 'https://json-schema.org/draft/2020-12/schema',
    $id: typeof $id === 'string' ? $id.replace(/\.json$/, '') + '/ingest-request.json' : undefined,
    title: 'IngestRequest',
    description:
      `The body of POST /ingest/events: one TweetEvent or an array of 1 to ${MAX_EVENTS_PER_REQUEST}. ` +
      `Generated from schemas/tweet-event.schema.json (${contractId}) by \`npm run -w local/gateway generate\`; do not edit by hand.`,
    if: { type: 'array' },
    then: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EVENTS_PER_REQUEST,
      items: { $ref: '#/$defs/TweetEvent' },
    },
    else: { $ref: '#/$defs/TweetEvent' },
    $defs: { TweetEvent: event, ...($defs ?? {}) },
  };
}

/**
 * The generated files under policies/schemas, by file name. Compared as JSON values, not text, so
 * reformatting a file (prettier) does not make it stale.
 */
export function generatedSchemaFiles(): Record<string, JsonObject> {
  // A JSON round trip drops undefined members, exactly as writing and reading the file does.
  return {
    [`${INGEST_SCHEMA_ID}.json`]: JSON.parse(JSON.stringify(buildIngestRequestSchema())) as JsonObject,
  };
}

/** Reads every `<policiesDir>/schemas/*.json` as the APIM schema whose id is the file's base name. */
export function loadApimSchemas(policiesDir: string): Map<string, JsonObject> {
  const folder = join(policiesDir, SCHEMAS_FOLDER);
  const schemas = new Map<string, JsonObject>();
  let files: string[];
  try {
    files = readdirSync(folder).filter((file) => file.endsWith('.json'));
  } catch {
    return schemas;
  }
  for (const file of files.sort()) {
    const text = readFileSync(join(folder, file), 'utf8');
    try {
      schemas.set(file.slice(0, -'.json'.length), JSON.parse(text) as JsonObject);
    } catch (error) {
      throw new Error(`${join(folder, file)} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return schemas;
}
