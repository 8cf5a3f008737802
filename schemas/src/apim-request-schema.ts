import { MAX_EVENTS_PER_REQUEST } from './limits';
import { POLICY_FILE_NAMES, APIM_NAMES } from './names';
import { tweetEventSchema } from './validation';

type JsonObject = Record<string, unknown>;

/**
 * The schema APIM registers as `tweet-event`: the request body of `POST /ingest/events`, which is one
 * TweetEvent or an array of 1..MAX_EVENTS_PER_REQUEST of them. APIM validates a body against one
 * schema, and the message contract describes a single event, so this wraps the contract: the
 * contract's own definitions are hoisted under `$defs` unchanged (its `#/$defs/...` references stay
 * valid) and `if`/`then`/`else` picks the array or the single-event form, so a bad body gets the errors
 * of the form it used, not of both. Written to policies/schemas/ by `npm run -w local/gateway generate`
 * (the gateway enforces that file, cdktf uploads it); `npm run check:generated` fails when it is stale.
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

/** The generated request schema's path under the repository root (`policies/schemas/tweet-event.json`). */
export const APIM_REQUEST_SCHEMA_FILE = [
  'policies',
  POLICY_FILE_NAMES.schemasFolder,
  POLICY_FILE_NAMES.schema(APIM_NAMES.schema),
].join('/');

/** The command that writes the generated APIM schemas, for error messages. */
export const APIM_SCHEMA_GENERATE_COMMAND = 'npm run -w local/gateway generate';
