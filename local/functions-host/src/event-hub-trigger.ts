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
import type { RegisteredFunction, Registry } from './core-module';
import type { RpcBindingInfo, RpcDuration } from './core-types';
import {
  batchTriggerMetadata,
  bindEventBodies,
  eventHubDataType,
  NODE_WORKER_CAPABILITIES,
  singleTriggerMetadata,
  type EventHubDataType,
} from './event-hub-binding';
import { createBatchCollector, type BatchCollector } from './event-hub-batching';
import type { EventHubsConfig } from './host-json';
import { fromTypedData, invokeFunction, InvocationError, outputValues } from './invoke';
import { errorText, type HostLogger } from './logger';
import type { OutputBinding } from './outputs';
import { connectionString, resolveSettingExpressions } from './settings';
import { PIPELINE_NAMES } from '@pipeline/schemas';

/** The container the Azure Functions host keeps Event Hubs checkpoints and ownership in. */
export const CHECKPOINT_CONTAINER = PIPELINE_NAMES.containers.checkpoints;

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
  /** What the app's programming model added to the worker's capabilities (`app.setup({ capabilities })`). */
  readonly appCapabilities?: Readonly<Record<string, string>>;
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
    dataType: eventHubDataType(binding.dataType, where),
    capabilities: { ...NODE_WORKER_CAPABILITIES, ...options.appCapabilities },
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
          processClose: (_reason, context) => {
            delivery.closePartition(context.partitionId);
            return Promise.resolve();
          },
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
          // The SDK hands over a batch ~20 ms after its first event, or an empty one after this wait.
          // With minEventBatchSize 1 the extension dispatches what is there (maxWaitTime is ignored);
          // above 1 the delivery collects events itself and needs the empty calls to see time pass.
          maxWaitTimeInSeconds:
            config.minEventBatchSize > 1
              ? Math.max(0.1, Math.min(1, config.maxWaitTimeMs / 1000))
              : Math.max(1, config.maxWaitTimeMs / 1000),
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
  /** The binding's dataType ('object' when absent): decides how bodies are bound, as the real host does. */
  readonly dataType: EventHubDataType;
  /** The worker's capabilities as the host sees them (the Node.js worker's plus the app's). */
  readonly capabilities: Readonly<Record<string, string>>;
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
  const { fn, many, namespace, description, config, logger } = options;
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
    const partitionContext = {
      FullyQualifiedNamespace: namespace,
      EventHubName: context.eventHubName,
      ConsumerGroup: context.consumerGroup,
      PartitionId: context.partitionId,
    };
    const triggerMetadata = many
      ? batchTriggerMetadata(events, partitionContext, name, options.capabilities)
      : singleTriggerMetadata(events[0]!, partitionContext, name);
    let invocationId = '-';
    try {
      // Binding happens inside the invocation, as in the host: a body the binding cannot convert fails
      // the invocation before the handler runs, and the retry policy applies to it.
      const data = bindEventBodies(
        events.map((event) => eventBody(event.body)),
        {
          many,
          dataType: options.dataType,
          capabilities: options.capabilities,
          bindingName: options.bindingName,
          sequenceNumbers: events.map((event) => event.sequenceNumber),
        },
      );
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

  /** Per partition, when host.json asks for a minimum batch size above 1 (cardinality many only). */
  const collectors = new Map<string, BatchCollector<DeliveredEvent>>();
  const collecting = many && config.minEventBatchSize > 1;

  async function collectAndProcess(events: DeliveredEvent[], context: BatchContext): Promise<void> {
    if (!collecting) return processBatch(events, context);
    let collector = collectors.get(context.partitionId);
    if (!collector) {
      collector = createBatchCollector<DeliveredEvent>(config);
      collectors.set(context.partitionId, collector);
    }
    const batch = collector.add(events, Date.now());
    if (batch) await processBatch(batch, context);
  }

  return {
    process(events: DeliveredEvent[], context: BatchContext): Promise<void> {
      const work = collectAndProcess(events, context);
      inFlight.add(work);
      return work.finally(() => inFlight.delete(work));
    },
    /** The partition went to another host: events held for a fuller batch are dropped, unchecked. */
    closePartition(partitionId: string): void {
      collectors.get(partitionId)?.clear();
    },
    /** No new invocations; a batch waiting to retry is abandoned unchecked; waits for the one running. */
    async stop(): Promise<void> {
      stopping = true;
      stopController.abort();
      for (const collector of collectors.values()) collector.clear();
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
