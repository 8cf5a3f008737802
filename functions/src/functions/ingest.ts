import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { FUNCTION_ROUTES, MAX_REQUEST_BYTES } from '@pipeline/schemas';
import { azureIngestSinks } from '../lib/azure-sinks';
import { DependencyError, ingestEvents, type IngestSinks } from '../lib/ingest-service';
import {
  isJsonContentType,
  lengthRequired,
  parseIngestBody,
  payloadTooLarge,
  unsupportedMediaType,
  type ParsedIngestRequest,
} from '../lib/ingest-request';
import { BodyTooLargeError, readBodyWithLimit } from '../lib/request-body';
import { accepted, errorResponse, serviceUnavailable } from '../lib/responses';

/**
 * POST /api/events: validates one event or an array of up to 100 against the message contract,
 * archives the request's raw events as one blob and each new image by its hash in Blob Storage, and
 * sends the slim events to Event Hubs.
 * 202 with the accepted ids; 400 with every error (nothing stored); 411 without Content-Length (the
 * host dropped the body); 413; 415; 503 when a dependency is down (safe to retry: every write is
 * idempotent).
 */
export function createIngestHandler(sinks: () => IngestSinks) {
  return async function ingest(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const parsed = await parseRequest(request);
    if (!parsed.ok) {
      context.log(
        `ingest rejected: ${parsed.status} ${parsed.body.error} (${parsed.body.errors?.length ?? 0} errors)`,
      );
      return errorResponse(parsed.status, parsed.body);
    }
    try {
      const ids = await ingestEvents(parsed.events, sinks());
      context.log(`ingest accepted ${ids.length} events`);
      return accepted(ids);
    } catch (error) {
      if (error instanceof DependencyError) {
        context.warn(`ingest failed, answering 503: ${error.message}`);
        return serviceUnavailable(`${error.message}. Nothing was published; retry the request.`);
      }
      throw error;
    }
  };
}

async function parseRequest(request: HttpRequest): Promise<ParsedIngestRequest> {
  // First: without Content-Length the body never reached us, so nothing about it can be judged.
  // Content-Length: 0 is a declared empty body and gets the usual 400.
  if (request.headers.get('content-length') === null)
    return lengthRequired(request.headers.get('transfer-encoding'));
  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType)) return unsupportedMediaType(contentType);
  try {
    return parseIngestBody(await readBodyWithLimit(request, MAX_REQUEST_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return payloadTooLarge(error.declared ?? 'unknown');
    throw error;
  }
}

export const ingest = createIngestHandler(azureIngestSinks);

app.http('ingest', {
  methods: ['POST'],
  authLevel: 'function',
  route: FUNCTION_ROUTES.ingest,
  handler: ingest,
});
