import type { HttpRequest } from '@azure/functions';

export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(`body exceeds ${limit} bytes`);
  }
}

/**
 * Reads the request body, refusing to buffer more than `limit` bytes: a declared Content-Length over the
 * limit is refused before reading, and a body that streams past the limit is cut off there. (The
 * Functions host forwards only bodies with a Content-Length, so the second case guards a body longer
 * than it declared; a chunked body never gets here: see `lengthRequired` in ingest-request.ts.)
 */
export async function readBodyWithLimit(request: HttpRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit, declared);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
