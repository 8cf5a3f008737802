import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import { InputError } from './errors';

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntryInfo {
  /** The name inside the archive, forward slashes (`train_another/damage/-95.06_29.82.jpeg`). */
  readonly name: string;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly crc32: number;
}

/**
 * A zip archive read in place: the central directory is listed once, and each entry is read on demand
 * (random access through the file descriptor), so nothing is extracted and memory holds one entry at
 * a time. yauzl does not check CRC-32 ("No CRC-32 Checking", yauzl README), so this does: a corrupt or
 * truncated archive fails with the entry's name instead of feeding wrong bytes into the events.
 */
export class ZipArchive {
  readonly #zip: yauzl.ZipFile;
  readonly #entries: Map<string, yauzl.Entry>;
  readonly entries: readonly ZipEntryInfo[];

  private constructor(
    readonly path: string,
    zip: yauzl.ZipFile,
    entries: yauzl.Entry[],
  ) {
    this.#zip = zip;
    this.#entries = new Map(entries.map((e) => [e.fileName, e]));
    this.entries = entries.map((e) => ({
      name: e.fileName,
      uncompressedSize: e.uncompressedSize,
      compressedSize: e.compressedSize,
      crc32: e.crc32,
    }));
  }

  /** Opens and lists an archive; a file that is not a complete zip fails with an InputError saying so. */
  static async open(path: string): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    try {
      // autoClose off: entries are opened long after the listing ends. strictFileNames off: some
      // archivers write backslashes; yauzl then converts them to slashes.
      zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
    } catch (error) {
      throw new InputError(
        `${path} is not a readable zip archive (${(error as Error).message}); a truncated download ends like this: download it again`,
        { cause: error },
      );
    }
    const entries: yauzl.Entry[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          // Folders are listed as names ending in '/': they hold no bytes.
          if (!entry.fileName.endsWith('/')) entries.push(entry);
          zip.readEntry();
        });
        zip.once('end', resolve);
        zip.once('error', reject);
        zip.readEntry();
      });
    } catch (error) {
      zip.close();
      throw new InputError(`${path}: the zip directory is damaged (${(error as Error).message})`, {
        cause: error,
      });
    }
    return new ZipArchive(path, zip, entries);
  }

  /** A stream of the entry's uncompressed bytes; its CRC-32 is checked at the end. */
  async openEntry(name: string): Promise<Readable> {
    const entry = this.#entry(name);
    const raw = await this.#zip.openReadStreamPromise(entry).catch((error: Error) => {
      throw this.#damaged(name, error);
    });
    const mismatch = this.#crcMismatch(name);
    let crc = 0;
    const check = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        crc = crc32(chunk, crc);
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        callback(crc === entry.crc32 ? null : mismatch);
      },
    });
    raw.on('error', (error: Error) => check.destroy(this.#damaged(name, error)));
    return raw.pipe(check);
  }

  /** The entry's uncompressed bytes, CRC-checked (small entries: the images are at most 64 KiB). */
  async readEntry(name: string): Promise<Buffer> {
    const entry = this.#entry(name);
    const stream = await this.#zip.openReadStreamPromise(entry).catch((error: Error) => {
      throw this.#damaged(name, error);
    });
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (error) {
      throw this.#damaged(name, error as Error);
    }
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (crc32(data) !== entry.crc32) throw this.#crcMismatch(name);
    return data;
  }

  close(): void {
    this.#zip.close();
  }

  #entry(name: string): yauzl.Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new InputError(`${this.path} has no entry ${JSON.stringify(name)}`);
    return entry;
  }

  #damaged(name: string, error: Error): InputError {
    return new InputError(`${this.path}: cannot read ${name} (${error.message}); the archive is damaged`, {
      cause: error,
    });
  }

  #crcMismatch(name: string): InputError {
    return new InputError(
      `${this.path}: ${name} fails its CRC-32 check; the archive is damaged (download it again)`,
    );
  }
}

/** Zip archives begin with a local file header (`PK\x03\x04`), or `PK\x05\x06` when empty. */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
}
