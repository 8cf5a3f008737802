import { parseJsonBody, validateHubEvent, type HubEvent, type ValidationIssue } from '@pipeline/schemas';
import type { HubPosition } from './hub-metadata';

export { positionsFromTriggerMetadata, TriggerMetadataError, type HubPosition } from './hub-metadata';

/** The Cosmos DB document: the slim event plus where and when the pipeline carried it. */
export interface StoredEventDocument extends HubEvent {
  /** When Event Hubs accepted the event (ISO 8601). */
  readonly enqueuedAt: string;
  /** When the consumer produced this document for Cosmos DB (ISO 8601). */
  readonly storedAt: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
}

export interface DeadLetter {
  /** Deterministic: a redelivered poison message overwrites its own dead letter. */
  readonly blobName: string;
  readonly record: {
    readonly reason: string;
    readonly errors?: readonly ValidationIssue[];
    readonly position: HubPosition;
    readonly deadLetteredAt: string;
    /** The message as received, so nothing is lost and it can be fixed and replayed. */
    readonly message: unknown;
  };
}

export interface BatchOutcome {
  readonly documents: readonly StoredEventDocument[];
  readonly deadLetters: readonly DeadLetter[];
}

/**
 * Turns a batch of hub messages into Cosmos documents and dead letters. Every valid message becomes
 * a document (the original prototype wrote only the last of each batch); a message that is not JSON or
 * breaks the hub contract becomes a dead letter with the reason, and the rest of the batch goes on.
 * Repeated ids in one batch collapse into one document (the later message wins).
 */
export function processBatch(
  messages: readonly unknown[],
  positions: readonly HubPosition[],
  now: Date,
): BatchOutcome {
  if (messages.length !== positions.length) {
    throw new Error(`batch metadata mismatch: ${messages.length} messages but ${positions.length} positions`);
  }
  const documents = new Map<string, StoredEventDocument>();
  const deadLetters: DeadLetter[] = [];
  const storedAt = now.toISOString();
  messages.forEach((message, index) => {
    const position = positions[index]!;
    const decoded = decodeMessage(message);
    if (!decoded.ok) {
      deadLetters.push(deadLetter(position, decoded.reason, message, storedAt));
      return;
    }
    const result = validateHubEvent(decoded.value);
    if (!result.ok) {
      deadLetters.push(
        deadLetter(position, 'the event breaks the hub event contract', message, storedAt, result.errors),
      );
      return;
    }
    documents.set(result.value.id, {
      ...result.value,
      enqueuedAt: position.enqueuedAt,
      storedAt,
      partitionId: position.partitionId,
      sequenceNumber: position.sequenceNumber,
    });
  });
  return { documents: [...documents.values()], deadLetters };
}

type Decoded = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * `consume` binds its batch as bytes (`dataType: 'binary'`), so each message is a Buffer holding the
 * event body exactly as sent. A parsed object (no dataType, or the library's `tryJsonParse` on a string
 * collection) and a string are accepted too, so the handler works whatever the binding hands over;
 * anything that is not a JSON object is poison.
 */
export function decodeMessage(message: unknown): Decoded {
  if (message instanceof Uint8Array) {
    // The contract's one bytes-to-JSON reading, as ingest and the gateway read a request: the verdicts
    // of a fatal TextDecoder (BOM dropped likewise) then JSON.parse, without a decoder per message.
    const body = parseJsonBody(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    if (body.ok) return body;
    return body.problem === 'utf8'
      ? { ok: false, reason: 'the message body is not valid UTF-8' }
      : { ok: false, reason: `the message body is not valid JSON: ${body.reason}` };
  }
  if (typeof message !== 'string') return { ok: true, value: message };
  try {
    return { ok: true, value: JSON.parse(message) };
  } catch (error) {
    return {
      ok: false,
      reason: `the message body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function deadLetter(
  position: HubPosition,
  reason: string,
  message: unknown,
  at: string,
  errors?: readonly ValidationIssue[],
): DeadLetter {
  // Bytes are kept as text when they are UTF-8 (readable in the dead letter), as base64 otherwise.
  let printable = message;
  if (message instanceof Uint8Array) {
    try {
      printable = new TextDecoder('utf-8', { fatal: true }).decode(message);
    } catch {
      printable = { base64: Buffer.from(message).toString('base64') };
    }
  }
  return {
    blobName: `${position.eventHubName}/${position.partitionId}/${position.sequenceNumber}.json`,
    record: { reason, ...(errors ? { errors } : {}), position, deadLetteredAt: at, message: printable },
  };
}
