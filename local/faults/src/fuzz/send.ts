import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { FuzzRequest } from './mutations';
import type { Outcome } from './verdict';

export interface Target {
  /** The ingest API's events URL through the gateway. */
  readonly url: URL;
  /** The credentials that get a request past authentication, to the validation. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly agent: Agent;
  readonly timeoutMs: number;
}

/** Keep-alive connections, at most `concurrency` of them: a rejected request must not spoil the next. */
export function fuzzAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency });
}

/**
 * Sends one request's exact bytes with node:http (which leaves Content-Type, Content-Length and the
 * body to us) and collects the response. A client that aborts mid-body writes part of it and then
 * destroys its socket. A response that arrives before the server stopped reading counts, even if the
 * rest of the upload then fails (a server may answer a too-large body early and close).
 */
export function send(target: Target, request: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const headers: OutgoingHttpHeaders = { ...target.credentials };
    if (request.contentType !== null) headers['content-type'] = request.contentType;
    headers['content-length'] = String(request.body.length);
    for (const [name, value] of request.headers) headers[name] = value;
    const req = httpRequest(target.url, { method: 'POST', headers, agent: target.agent });
    const timer = setTimeout(() => {
      req.destroy();
      done({ error: `no response within ${target.timeoutMs} ms`, timedOut: true });
    }, target.timeoutMs);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', (error) => done({ error: `response: ${error.message}`, timedOut: false }));
      response.on('aborted', () => done({ error: 'response aborted', timedOut: false }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ error: error.code ?? error.message, timedOut: false }),
    );
    if (request.abortAfter === undefined) {
      req.end(request.body);
      return;
    }
    req.flushHeaders();
    req.write(request.body.subarray(0, request.abortAfter), () => {
      // Give the bytes a moment on the wire, then die as a crashed client does.
      setTimeout(() => {
        req.destroy();
        done({ error: 'aborted by the client', timedOut: false });
      }, 20);
    });
  });
}
