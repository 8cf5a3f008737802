import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { APIM_REQUEST_SCHEMA_FILE, APIM_SCHEMA_GENERATE_COMMAND } from '@pipeline/schemas';
import { repositoryRoot } from './policy-files';

/**
 * The message contract for APIM's validate-content policy. The contract is JSON Schema draft
 * 2020-12; Microsoft documents no draft for validate-content, and its examples and schema import
 * use the draft-04/07 vocabulary (`definitions`). So the schema is uploaded as draft-07: the same
 * document with `$defs` renamed to `definitions` and `$schema` pointing at draft-07. That is
 * lossless only when the contract uses no keyword that draft-07 lacks, which is checked here:
 * a contract that starts using one fails synthesis rather than being validated loosely.
 */
export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** Keywords added after draft-07; none can be expressed in draft-07 without changing meaning. */
export const KEYWORDS_WITHOUT_DRAFT07_EQUIVALENT = [
  'prefixItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  'dependentRequired',
  'dependentSchemas',
  'minContains',
  'maxContains',
  '$dynamicRef',
  '$dynamicAnchor',
  '$recursiveRef',
  '$recursiveAnchor',
  '$anchor',
  '$vocabulary',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class SchemaConversionError extends Error {}

export function readContract(root = repositoryRoot()): Record<string, Json> {
  return JSON.parse(readFileSync(path.join(root, 'schemas', 'tweet-event.schema.json'), 'utf8')) as Record<
    string,
    Json
  >;
}

/** Where the gateway workspace writes the request-body schema generated from the contract. */
export const REQUEST_SCHEMA_PATH = path.join(...APIM_REQUEST_SCHEMA_FILE.split('/'));

/** The generated request-body schema is not there: synthesis stops instead of uploading something else. */
export class MissingRequestSchemaError extends Error {
  constructor(readonly lookedIn: string) {
    super(
      `${REQUEST_SCHEMA_PATH} is missing (looked in ${lookedIn}): it is generated from schemas/tweet-event.schema.json; run ${APIM_SCHEMA_GENERATE_COMMAND} (npm run check:generated checks it is current)`,
    );
    this.name = 'MissingRequestSchemaError';
  }
}

/**
 * The schema validate-content enforces for `POST /events`: the request body, one TweetEvent or
 * an array of 1 to 100, as generated from the contract into policies/schemas/ (the local gateway
 * enforces the same file). A missing file is an error: the single-event contract it once fell back
 * to would make APIM refuse every batch that the gateway accepts.
 */
export function readRequestSchema(root = repositoryRoot()): { schema: Record<string, Json>; source: string } {
  const generated = path.join(root, REQUEST_SCHEMA_PATH);
  if (!existsSync(generated)) throw new MissingRequestSchemaError(generated);
  return {
    schema: JSON.parse(readFileSync(generated, 'utf8')) as Record<string, Json>,
    source: REQUEST_SCHEMA_PATH,
  };
}

function mapRefs(value: Json, from: string, to: string, at: string): Json {
  if (Array.isArray(value)) return value.map((v, i) => mapRefs(v, from, to, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    if ((KEYWORDS_WITHOUT_DRAFT07_EQUIVALENT as readonly string[]).includes(key)) {
      throw new SchemaConversionError(
        `${at}/${key}: '${key}' has no draft-07 equivalent; APIM cannot enforce it`,
      );
    }
    if (
      key === '$ref' &&
      Object.keys(value).some((k) => !['$ref', 'description', 'title', '$comment'].includes(k))
    ) {
      // Draft-07 ignores every keyword next to $ref; 2020-12 applies them. Refuse the difference.
      throw new SchemaConversionError(
        `${at}: keywords next to $ref are ignored by draft-07; wrap them in allOf`,
      );
    }
    if (key === '$ref' && typeof child === 'string') {
      if (!child.startsWith('#'))
        throw new SchemaConversionError(`${at}/$ref: only local references are supported (got ${child})`);
      out[key] = child.startsWith(`#/${from}/`) ? `#/${to}/${child.slice(from.length + 3)}` : child;
    } else {
      out[key === from ? to : key] = mapRefs(child, from, to, `${at}/${key}`);
    }
  }
  return out;
}

/** The contract as a draft-07 document (throws when that would lose a constraint). */
export function toDraft07(schema: Record<string, Json>): Record<string, Json> {
  if (schema.$schema !== DRAFT_2020_12) {
    throw new SchemaConversionError(
      `expected $schema ${DRAFT_2020_12} (got ${JSON.stringify(schema.$schema)})`,
    );
  }
  if ('definitions' in schema && '$defs' in schema) {
    throw new SchemaConversionError('the contract must not use both $defs and definitions');
  }
  const converted = mapRefs(schema, '$defs', 'definitions', '#') as Record<string, Json>;
  return { ...converted, $schema: DRAFT_07 };
}

/** The inverse rename, used by the tests to prove the conversion is lossless. */
export function fromDraft07(schema: Record<string, Json>): Record<string, Json> {
  const converted = mapRefs(schema, 'definitions', '$defs', '#') as Record<string, Json>;
  return { ...converted, $schema: DRAFT_2020_12 };
}
