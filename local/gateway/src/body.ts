import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly kind: 'complete'; readonly body: Buffer }
  | { readonly kind: 'too-large'; readonly bytesRead: number }
  | { readonly kind: 'aborted' };

/**
 * Reads a request body into memory, but never more than `limit` bytes: past the limit it stops
 * reading (pausing the socket) and reports how much it saw, so a 100 MB upload costs at most
 * `limit` plus one chunk of memory.
 */
export function readBodyWithLimit(request: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAbort);
      request.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        request.pause();
        finish({ kind: 'too-large', bytesRead: length });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      finish({ kind: 'complete', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
    const onAbort = () => finish({ kind: 'aborted' });
    const onClose = () => {
      if (!request.complete) finish({ kind: 'aborted' });
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAbort);
    request.on('close', onClose);
    if (request.complete && request.readableEnded) onEnd();
  });
}
