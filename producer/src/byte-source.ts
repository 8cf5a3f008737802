import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Bytes that can be read from the start, as often as needed: a file on disk or an entry of a zip
 * archive. The tweets CSV is read twice (once to detect its encoding, once to parse it), so a source
 * opens a fresh stream each time instead of being a stream itself.
 */
export interface ByteSource {
  /** For messages: the path, or `archive.zip!entry`. */
  readonly name: string;
  open(): Promise<Readable>;
}

export function fileSource(path: string): ByteSource {
  return { name: path, open: () => Promise.resolve(createReadStream(path)) };
}

export function asByteSource(input: string | ByteSource): ByteSource {
  return typeof input === 'string' ? fileSource(input) : input;
}
