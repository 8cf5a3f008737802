import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import tweetEventSchema from '../tweet-event.schema.json';
import hubEventSchema from '../hub-event.schema.json';
import type { TweetEvent } from './generated/tweet-event';
import type { HubEvent } from './generated/hub-event';
import { contractRegExp } from './base64';

/** One reason a value breaks the contract: where (a JSONPath such as `$.image.latitude`) and why. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly ValidationIssue[] };

// Compiled once at module load: compiling per request would cost milliseconds each time. The
// contract's base64 pattern is answered without its regular expression (base64.ts), same verdicts.
const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  strictRequired: false,
  code: { regExp: contractRegExp },
});
addFormats(ajv, ['date-time']);
const tweetEventValidator = ajv.compile<TweetEvent>(tweetEventSchema);
const hubEventValidator = ajv.compile<HubEvent>(hubEventSchema);

export function validateTweetEvent(value: unknown): ValidationResult<TweetEvent> {
  return run(tweetEventValidator, value);
}

export function validateHubEvent(value: unknown): ValidationResult<HubEvent> {
  return run(hubEventValidator, value);
}

function run<T>(validator: ValidateFunction<T>, value: unknown): ValidationResult<T> {
  try {
    if (validator(value)) return { ok: true, value };
  } catch (error) {
    // A value too large or too deeply nested for the engine (a RangeError: the call stack or a
    // regular expression's backtracking overflowed; seen once in the fuzz suite under CI) is invalid
    // input, not a server fault: it must become a 400 that says so, never a 500.
    if (error instanceof RangeError) return { ok: false, errors: [TOO_COMPLEX] };
    throw error;
  }
  return { ok: false, errors: (validator.errors ?? []).map(toIssue) };
}

const TOO_COMPLEX: ValidationIssue = {
  path: '$',
  message: "is too large or too deeply nested to validate; keep to the contract's limits",
};

/** Turns ajv's JSON Pointer plus keyword into a path that names the offending field itself. */
export function toIssue(error: ErrorObject): ValidationIssue {
  const base = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: child(base, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: child(base, String(params.additionalProperty)), message: 'is not allowed' };
    case 'format':
      return { path: base, message: `must be a valid ${String(params.format)}` };
    case 'pattern':
      return { path: base, message: describePattern(base) };
    default:
      return { path: base, message: error.message ?? `fails ${error.keyword}` };
  }
}

function describePattern(path: string): string {
  if (path.endsWith('.data')) return 'must be standard base64 (A-Z, a-z, 0-9, +, / and = padding)';
  if (path.endsWith('.id')) return 'must be 32 lowercase hex characters';
  if (path.endsWith('.tweetId')) return 'must be a decimal string of 1 to 20 digits';
  return 'does not match the required pattern';
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '$';
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => child(path, segment), '$');
}

function child(path: string, segment: string): string {
  if (/^[0-9]+$/.test(segment)) return `${path}[${segment}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) return `${path}.${segment}`;
  return `${path}[${JSON.stringify(segment)}]`;
}

export { tweetEventSchema, hubEventSchema };
