import { validateHubEvent, type HubEvent, type ValidationIssue } from '@pipeline/schemas';

/** Where a message sat on the hub: what a dead letter needs so the event can be found and replayed. */
export interface HubPosition {
  readonly eventHubName: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly offset?: string;
  readonly enqueuedAt: string;
}

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
 * The Functions worker hands over a JSON body already parsed; other hosts or producers may deliver a
 * string or bytes. All three are accepted; anything that is not a JSON object is poison.
 */
export function decodeMessage(message: unknown): Decoded {
  let text: string;
  if (typeof message === 'string') text = message;
  else if (message instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(message);
    } catch {
      return { ok: false, reason: 'the message body is not valid UTF-8' };
    }
  } else return { ok: true, value: message };
  try {
    return { ok: true, value: JSON.parse(text) };
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
  const printable =
    message instanceof Uint8Array ? { base64: Buffer.from(message).toString('base64') } : message;
  return {
    blobName: `${position.eventHubName}/${position.partitionId}/${position.sequenceNumber}.json`,
    record: { reason, ...(errors ? { errors } : {}), position, deadLetteredAt: at, message: printable },
  };
}

/** Reads each message's hub position from the Event Hubs trigger's metadata (cardinality many). */
export function positionsFromTriggerMetadata(
  metadata: Record<string, unknown> | undefined,
  count: number,
): HubPosition[] {
  const partitionContext = (metadata?.partitionContext ?? {}) as {
    partitionId?: string;
    eventHubName?: string;
  };
  const enqueued = asArray(metadata?.enqueuedTimeUtcArray);
  const sequenceNumbers = asArray(metadata?.sequenceNumberArray);
  const offsets = asArray(metadata?.offsetArray);
  return Array.from({ length: count }, (_, i) => ({
    eventHubName: partitionContext.eventHubName ?? 'unknown-hub',
    partitionId: String(partitionContext.partitionId ?? 'unknown'),
    sequenceNumber: Number(sequenceNumbers[i] ?? -1),
    ...(offsets[i] !== undefined ? { offset: String(offsets[i] as string | number) } : {}),
    enqueuedAt: toIso(enqueued[i]),
  }));
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function toIso(value: unknown): string {
  const date = new Date(
    typeof value === 'string' || typeof value === 'number' || value instanceof Date ? value : NaN,
  );
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}
