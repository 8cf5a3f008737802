import {
  EventHubConsumerClient,
  earliestEventPosition,
  latestEventPosition,
  type EventPosition,
  type ReceivedEventData,
  type Subscription,
} from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import type { RegisteredFunction, Registry } from './core-module';
import type { RpcBindingInfo, RpcDuration, RpcTypedData } from './core-types';
import type { EventHubsConfig } from './host-json';
import { fromTypedData, invokeFunction, InvocationError, outputValues } from './invoke';
import { errorText, type HostLogger } from './logger';
import type { OutputBinding } from './outputs';
import { connectionString, resolveSettingExpressions } from './settings';

/** The container the Azure Functions host keeps Event Hubs checkpoints and ownership in. */
export const CHECKPOINT_CONTAINER = 'azure-webjobs-eventhub';

export interface RetryPolicy {
  readonly strategy: 'exponentialBackoff' | 'fixedDelay';
  /** -1: retry forever. */
  readonly maxRetryCount: number;
  readonly minimumMs: number;
  readonly maximumMs: number;
}

/** The delay before retry number `retry` (1-based), as the Functions host computes it. */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  if (policy.strategy === 'fixedDelay') return policy.minimumMs;
  return Math.min(policy.maximumMs, policy.minimumMs * 2 ** Math.min(retry - 1, 30));
}

function durationMs(duration: RpcDuration | null | undefined): number | undefined {
  if (!duration) return undefined;
  const seconds =
    typeof duration.seconds === 'object' && duration.seconds
      ? duration.seconds.toNumber()
      : Number(duration.seconds ?? 0);
  return seconds * 1000 + Math.round((duration.nanos ?? 0) / 1e6);
}

export function retryPolicyOf(fn: RegisteredFunction): RetryPolicy | undefined {
  const options = fn.metadata.retryOptions;
  if (!options) return undefined;
  const strategy = options.retryStrategy ?? 'exponentialBackoff';
  const maxRetryCount = options.maxRetryCount ?? 0;
  if (strategy === 'fixedDelay') {
    const delay = durationMs(options.delayInterval) ?? 0;
    return { strategy, maxRetryCount, minimumMs: delay, maximumMs: delay };
  }
  return {
    strategy,
    maxRetryCount,
    minimumMs: durationMs(options.minimumInterval) ?? 1000,
    maximumMs: durationMs(options.maximumInterval) ?? 15 * 60_000,
  };
}

export interface EventHubTriggerOptions {
  readonly fn: RegisteredFunction;
  readonly bindingName: string;
  readonly binding: RpcBindingInfo;
  readonly values: Readonly<Record<string, string | undefined>>;
  readonly config: EventHubsConfig;
  readonly outputs: readonly OutputBinding[];
  readonly registry: Registry;
  readonly logger: HostLogger;
  /** How fast a crashed host's partitions are taken over: ownership expiry (ms). */
  readonly ownershipExpiryMs?: number;
  /** How often ownership is renewed and rebalanced (ms). */
  readonly loadBalancingIntervalMs?: number;
}

export interface EventHubListener {
  readonly description: string;
  start(): Promise<void>;
  /** Stops receiving; waits for the batch in flight (a batch waiting to retry is abandoned unchecked). */
  stop(): Promise<void>;
}

/**
 * The Event Hubs trigger as the Functions host runs it: an event processor (the SDK's
 * EventHubConsumerClient with a blob checkpoint store on AzureWebJobsStorage) delivers each partition's
 * batches in order; each batch is one invocation, retried with the function's retry policy until it
 * and its output bindings succeed, and only then checkpointed. Startup validates every setting.
 */
export function createEventHubListener(options: EventHubTriggerOptions): EventHubListener {
  const { fn, binding, values, config, logger } = options;
  const name = fn.metadata.name;
  const where = `function "${name}", binding "${options.bindingName}" (eventHubTrigger)`;
  const resolve = (property: string, fallback?: string) => {
    const raw = binding[property];
    if (typeof raw === 'string' && raw !== '') return resolveSettingExpressions(raw, values, where);
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: "${property}" is required`);
  };
  const eventHubName = resolve('eventHubName');
  const consumerGroup = resolve('consumerGroup', '$Default');
  if (typeof binding.connection !== 'string' || !binding.connection)
    throw new Error(`${where}: "connection" is required`);
  const hubConnection = connectionString(binding.connection, values, where);
  const storageConnection = connectionString('AzureWebJobsStorage', values, `${where} (checkpoints)`);
  const description = `${name} <- ${eventHubName}/${consumerGroup}`;

  let client: EventHubConsumerClient | undefined;
  let subscription: Subscription | undefined;
  let lastReceiveError = '';
  const probeStopped = new AbortController();
  const delivery = createBatchDelivery({
    fn,
    bindingName: options.bindingName,
    many: binding.cardinality === 'many',
    binary: binding.dataType === 'binary',
    namespace: fullyQualifiedNamespace(hubConnection),
    description,
    config,
    outputs: options.outputs,
    registry: options.registry,
    logger,
  });

  const startPosition = (): EventPosition => {
    const offset = config.initialOffset;
    if (offset.type === 'fromEnd') return latestEventPosition;
    if (offset.type === 'fromEnqueuedTime') return { enqueuedOn: offset.enqueuedTimeUtc };
    return earliestEventPosition;
  };

  return {
    description,
    async start() {
      const checkpoints: ContainerClient =
        BlobServiceClient.fromConnectionString(storageConnection).getContainerClient(CHECKPOINT_CONTAINER);
      await checkpoints.createIfNotExists();
      client = new EventHubConsumerClient(
        consumerGroup,
        hubConnection,
        eventHubName,
        new BlobCheckpointStore(checkpoints),
        {
          loadBalancingOptions: {
            strategy: 'balanced',
            updateIntervalInMs: options.loadBalancingIntervalMs ?? 2_000,
            partitionOwnershipExpirationIntervalInMs: options.ownershipExpiryMs ?? 10_000,
          },
        },
      );
      subscription = client.subscribe(
        {
          processEvents: (events, context) => delivery.process(events, context),
          processError: (error, context) => {
            const text = `${description}: receiving from partition ${context.partitionId || '-'} failed: ${errorText(error)}`;
            // A hub that is down produces the same error on every reconnect: log it once per change.
            if (text !== lastReceiveError) logger.warn(text);
            lastReceiveError = text;
            return Promise.resolve();
          },
        },
        {
          maxBatchSize: config.maxEventBatchSize,
          maxWaitTimeInSeconds: Math.max(1, config.maxWaitTimeMs / 1000),
          prefetchCount: Math.max(config.prefetchCount, config.maxEventBatchSize),
          startPosition: startPosition(),
          // The host hands the worker the raw bytes (as strings for JSON); parsing is the library's job.
          skipParsingBodyAsJson: true,
        },
      );
      // The processor retries a hub it cannot reach without a word; say once whether it answers.
      const timeout = AbortSignal.timeout(15_000);
      client.getPartitionIds({ abortSignal: AbortSignal.any([timeout, probeStopped.signal]) }).then(
        (ids) => logger.info(`${description}: connected, partitions ${ids.join(', ')}`),
        (error: unknown) => {
          if (probeStopped.signal.aborted) return;
          logger.warn(
            `${description}: ${timeout.aborted ? 'no answer from the event hub within 15 s' : `cannot reach the event hub (${errorText(error)})`}; still retrying`,
          );
        },
      );
    },
    async stop() {
      probeStopped.abort();
      await delivery.stop();
      await subscription?.close();
      await client?.close();
    },
  };
}

/** What the delivery needs of a received event (the SDK's ReceivedEventData). */
export type DeliveredEvent = Pick<
  ReceivedEventData,
  'body' | 'sequenceNumber' | 'offset' | 'enqueuedTimeUtc' | 'partitionKey' | 'properties'
>;

/** What the delivery needs of the SDK's PartitionContext. */
export interface BatchContext {
  readonly partitionId: string;
  readonly eventHubName: string;
  readonly consumerGroup: string;
  updateCheckpoint(event: DeliveredEvent): Promise<void>;
}

export interface BatchDeliveryOptions {
  readonly fn: RegisteredFunction;
  readonly bindingName: string;
  readonly many: boolean;
  readonly binary: boolean;
  readonly namespace: string;
  readonly description: string;
  readonly config: EventHubsConfig;
  readonly outputs: readonly OutputBinding[];
  readonly registry: Registry;
  readonly logger: HostLogger;
}

/**
 * One partition batch at a time, as the Functions host hands it to the worker: invoke (with the
 * trigger metadata Azure sends), apply the output bindings, retry with the function's retry policy,
 * and checkpoint only once all of that succeeded.
 */
export function createBatchDelivery(options: BatchDeliveryOptions) {
  const { fn, many, binary, namespace, description, config, logger } = options;
  const name = fn.metadata.name;
  const retry = retryPolicyOf(fn);
  let stopping = false;
  const stopController = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const batchesSinceCheckpoint = new Map<string, number>();

  async function processBatch(events: DeliveredEvent[], context: BatchContext): Promise<void> {
    if (events.length === 0 || stopping) return;
    const invocations = many ? [events] : events.map((event) => [event]);
    for (const group of invocations) {
      const delivered = await deliverWithRetry(group, context);
      if (!delivered) return; // stopping: leave the batch unchecked, it is redelivered after a restart
    }
    const count = (batchesSinceCheckpoint.get(context.partitionId) ?? 0) + 1;
    if (count < config.batchCheckpointFrequency) {
      batchesSinceCheckpoint.set(context.partitionId, count);
      return;
    }
    try {
      await context.updateCheckpoint(events[events.length - 1]!);
      batchesSinceCheckpoint.set(context.partitionId, 0);
    } catch (error) {
      // As the Azure host does: a failed checkpoint is logged, and the batch may be delivered again.
      logger.warn(
        `${description}: checkpoint of partition ${context.partitionId} failed: ${errorText(error)}`,
      );
    }
  }

  /** Invokes until success; false when the host is stopping. Follows the Azure host for finite policies. */
  async function deliverWithRetry(events: DeliveredEvent[], context: BatchContext): Promise<boolean> {
    let lastError: unknown;
    for (let retryCount = 0; ; retryCount++) {
      if (stopping) return false;
      try {
        await invokeOnce(events, context, retryCount, lastError);
        return true;
      } catch (error) {
        lastError = error instanceof InvocationError ? error.cause : error;
        const range = `partition ${context.partitionId}, sequence ${events[0]!.sequenceNumber}-${events[events.length - 1]!.sequenceNumber}`;
        if (!retry || (retry.maxRetryCount !== -1 && retryCount >= retry.maxRetryCount)) {
          // The Azure host moves on once the retry policy is exhausted (or when there is none); a
          // function that must never lose a batch declares maxRetryCount -1, as `consume` does.
          logger.error(
            `${description}: ${retry ? `retries exhausted (${retry.maxRetryCount})` : 'no retry policy'}; moving past ${range} as the Azure host does`,
          );
          return true;
        }
        const delay = retryDelayMs(retry, retryCount + 1);
        logger.warn(`${description}: retry ${retryCount + 1} of ${range} in ${delay} ms`);
        await sleep(delay, stopController.signal);
      }
    }
  }

  async function invokeOnce(
    events: DeliveredEvent[],
    context: BatchContext,
    retryCount: number,
    lastError: unknown,
  ): Promise<void> {
    const started = Date.now();
    const bodies = events.map((event) => eventBody(event.body));
    const data: RpcTypedData = many
      ? binary
        ? { collectionBytes: { bytes: bodies } }
        : { collectionString: { string: bodies.map((b) => b.toString('utf8')) } }
      : binary
        ? { bytes: bodies[0]! }
        : { string: bodies[0]!.toString('utf8') };
    const partitionContext = {
      FullyQualifiedNamespace: namespace,
      EventHubName: context.eventHubName,
      ConsumerGroup: context.consumerGroup,
      PartitionId: context.partitionId,
    };
    const triggerMetadata = many
      ? batchMetadata(events, partitionContext, name)
      : singleMetadata(events[0]!, partitionContext, name);
    let invocationId = '-';
    try {
      const result = await invokeFunction(
        options.registry,
        fn,
        {
          inputData: [{ name: options.bindingName, data }],
          triggerMetadata,
          ...(retry
            ? {
                retryContext: {
                  retryCount,
                  maxRetryCount: retry.maxRetryCount,
                  ...(lastError ? { exception: { message: errorText(lastError) } } : {}),
                },
              }
            : {}),
        },
        logger,
      );
      invocationId = result.invocationId;
      const produced = outputValues(result.response);
      for (const output of options.outputs) await output.apply(fromTypedData(produced.get(output.name)));
      logger.info(
        `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms) partition ${context.partitionId}, ${events.length} events`,
      );
    } catch (error) {
      if (error instanceof InvocationError) invocationId = error.invocationId;
      logger.error(
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms) partition ${context.partitionId}, ${events.length} events: ${errorText(error)}`,
      );
      throw error;
    }
  }

  return {
    process(events: DeliveredEvent[], context: BatchContext): Promise<void> {
      const work = processBatch(events, context);
      inFlight.add(work);
      return work.finally(() => inFlight.delete(work));
    },
    /** No new invocations; a batch waiting to retry is abandoned unchecked; waits for the one running. */
    async stop(): Promise<void> {
      stopping = true;
      stopController.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}

function eventBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body ?? null), 'utf8');
}

const json = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });

function systemProperties(event: DeliveredEvent) {
  return {
    SequenceNumber: event.sequenceNumber,
    Offset: event.offset,
    EnqueuedTimeUtc: event.enqueuedTimeUtc.toISOString(),
    PartitionKey: event.partitionKey ?? null,
  };
}

/** The trigger metadata the Azure host sends for `cardinality: many` (PascalCase: the library camel-cases it). */
function batchMetadata(
  events: DeliveredEvent[],
  partitionContext: object,
  method: string,
): Record<string, RpcTypedData> {
  return {
    PartitionContext: json(partitionContext),
    PartitionKeyArray: json(events.map((e) => e.partitionKey ?? null)),
    OffsetArray: json(events.map((e) => e.offset)),
    SequenceNumberArray: json(events.map((e) => e.sequenceNumber)),
    EnqueuedTimeUtcArray: json(events.map((e) => e.enqueuedTimeUtc.toISOString())),
    PropertiesArray: json(events.map((e) => e.properties ?? {})),
    SystemPropertiesArray: json(events.map(systemProperties)),
    sys: json({ MethodName: method, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}

function singleMetadata(
  event: DeliveredEvent,
  partitionContext: object,
  method: string,
): Record<string, RpcTypedData> {
  return {
    PartitionContext: json(partitionContext),
    PartitionKey: json(event.partitionKey ?? null),
    Offset: json(event.offset),
    SequenceNumber: json(event.sequenceNumber),
    EnqueuedTimeUtc: json(event.enqueuedTimeUtc.toISOString()),
    Properties: json(event.properties ?? {}),
    SystemProperties: json(systemProperties(event)),
    sys: json({ MethodName: method, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}

function fullyQualifiedNamespace(connection: string): string {
  const endpoint = /(?:^|;)\s*Endpoint\s*=\s*([^;]+)/i.exec(connection)?.[1] ?? '';
  return endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
