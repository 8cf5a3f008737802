import type { IncomingMessage } from 'node:http';

/**
 * What happens to a request body the gateway rejects without having read it to the end (a 401 before
 * the body was needed, a 400 for a Content-Length over validate-content's max-size).
 *
 * Answering and closing at once is allowed, but the client is usually still sending: its next write
 * meets a TCP reset, and many clients (Node's among them) then report EPIPE or ECONNRESET and never
 * read the 400 that explains it (RFC 9112 section 9.6). So a body whose Content-Length leaves at most
 * DRAIN_BYTES to come is read to its end and thrown away, within DRAIN_MS, before the answer goes out;
 * the connection then closes cleanly or stays open. Anything larger, chunked, or slower is cut off.
 */
export const DRAIN_BYTES = 8 * 1024 * 1024;
export const DRAIN_MS = 5_000;

export type BodyState = 'unread' | 'buffered' | 'streamed' | 'overflow' | 'aborted';

/**
 * `none`: nothing left to read. `drain`: read the rest first, then answer. `close`: answer with
 * `Connection: close` and drop the connection (too much left, an unknown amount, or a client that
 * already went away).
 */
export function rejectedBodyPlan(
  state: BodyState,
  pending: boolean,
  declared: number | undefined,
  bytesRead: number,
): 'none' | 'drain' | 'close' {
  if (state === 'aborted' || state === 'overflow') return 'close';
  if (!pending) return 'none';
  if (declared === undefined || declared - bytesRead > DRAIN_BYTES) return 'close';
  return 'drain';
}

/**
 * Reads and discards the rest of a request body. Resolves true once it has ended, false when it
 * outlasted `maxMs` or brought more than `maxBytes` (the caller then closes the connection).
 */
export function drainBody(
  request: IncomingMessage,
  maxBytes = DRAIN_BYTES,
  maxMs = DRAIN_MS,
): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      if (!ended) request.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('close', onClose);
    request.resume();
  });
}
