import type { HttpResponseInit } from '@azure/functions';

/** Response helpers: every error body has the same shape, `{ error, message, errors? }`. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly errors?: readonly { readonly index?: number; readonly path: string; readonly message: string }[];
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  };
}

export function errorResponse(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return json(status, body, headers);
}

export const accepted = (ids: readonly string[]) => json(202, { accepted: ids.length, ids });

export const serviceUnavailable = (message: string, retryAfterSeconds = 5) =>
  errorResponse(503, { error: 'ServiceUnavailable', message }, { 'retry-after': String(retryAfterSeconds) });
