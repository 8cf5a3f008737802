import { mkdirSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import {
  create_container,
  message as rheaMessage,
  types,
  type AmqpError,
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { handleMissingChannels } from './missing-channel';
import { DecodeError, runtimeInfoSection, unpackTransfer } from './amqp-codec';
import { checkSasToken } from './sas';
import type { ResolvedConfig, ResolvedHub } from './config';
import type { Logger } from './log';
import { partitionForKey } from './partition-key';
import { PartitionLog } from './partition-log';

const RUNTIME_METRIC_CAPABILITY = 'com.microsoft:enable-receiver-runtime-metric';
const EPOCH_PROPERTY = 'com.microsoft:epoch';
const SELECTOR_FILTER = 'apache.org:selector-filter:string';
/** The service allows 5 non-epoch receivers per partition and consumer group. */
const MAX_NON_EPOCH_RECEIVERS = 5;
/** Unacknowledged batches a sender link may have in flight: bounds memory per producer. */
const SENDER_CREDIT = 50;
/** Bytes read from a partition per delivery pass. */
const READ_BYTES = 1024 * 1024;
/** Events per delivery pass, so that one busy receiver does not starve the others. */
const MAX_PER_PASS = 1000;

/** AMQP error conditions the SDK maps to its MessagingError codes. */
const Condition = {
  notFound: 'amqp:not-found',
  argumentOutOfRange: 'com.microsoft:argument-out-of-range',
  argumentError: 'com.microsoft:argument-error',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  linkStolen: 'amqp:link:stolen',
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  internalError: 'amqp:internal-error',
  decodeError: 'amqp:decode-error',
  unauthorized: 'amqp:unauthorized-access',
  notImplemented: 'amqp:not-implemented',
  connectionForced: 'amqp:connection:forced',
} as const;

interface Partition {
  readonly id: string;
  readonly log: PartitionLog;
  /** Active receivers per consumer group (lower-cased name). */
  readonly receivers: Map<string, Set<Outbound>>;
}

interface Hub {
  readonly config: ResolvedHub;
  readonly partitions: Partition[];
  readonly groups: Map<string, string>;
  nextPartition: number;
}

/** A client's receiver link: events flow from a partition to it under its credit. */
interface Outbound {
  readonly sender: Sender;
  readonly partition: Partition;
  readonly groupKey: string;
  readonly epoch: number | undefined;
  readonly runtimeMetrics: boolean;
  nextSeq: number;
  scheduled: boolean;
  closed: boolean;
  unsubscribe: () => void;
}

/** Helper types for the parts of rhea that its typings leave out. */
interface OutgoingState {
  next_delivery_id: number;
  next_pending_delivery: number;
  deliveries: { available(): number };
}
interface LinkInternals {
  local: {
    attach: {
      max_message_size?: number;
      snd_settle_mode?: number;
      offered_capabilities?: string[];
      source?: unknown;
      target?: unknown;
    };
  };
  session: { outgoing: OutgoingState };
}

/** The error description the service uses for a missing entity (the SDK matches it). */
function notFound(namespace: string, what: string): AmqpError {
  return {
    condition: Condition.notFound,
    description: `The messaging entity '${namespace}:${what}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
  };
}

/** The SDK addresses the node as `$management`; `<hub>/$management` is accepted too. */
function isManagement(address: string): boolean {
  return address === '$management' || address.endsWith('/$management');
}

function asArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The Event Hubs semantics on top of rhea: a namespace of hubs, `$cbs` and `$management`
 * request/response nodes, sender links to a hub or a partition, receiver links per consumer
 * group and partition with start positions, credit-based delivery and owner-level (epoch) rules.
 */
export class Broker {
  private readonly hubs = new Map<string, Hub>();
  private readonly container = create_container({
    id: 'eventhubs-emulator',
    autoaccept: false,
    credit_window: 0,
  });
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();
  private readonly replyLinks = new WeakMap<Connection, Map<string, Sender>>();
  private readonly outbound = new WeakMap<Sender, Outbound>();
  private readonly servers: Server[] = [];
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    dataDir: string | undefined,
  ) {
    for (const hubConfig of config.hubs) {
      const partitions = hubConfig.partitionIds.map((id) => {
        const dir = dataDir === undefined ? undefined : join(dataDir, hubConfig.name.toLowerCase(), id);
        if (dir) mkdirSync(dir, { recursive: true });
        const log = PartitionLog.open({
          dir,
          segmentBytes: config.segmentBytes,
          retentionMs: hubConfig.retentionMs,
          fsync: config.fsync,
          maxRecordBytes: config.maxMessageBytes + 64 * 1024,
          logger,
          name: `${hubConfig.name}/${id}`,
        });
        return { id, log, receivers: new Map<string, Set<Outbound>>() };
      });
      this.hubs.set(hubConfig.name.toLowerCase(), {
        config: hubConfig,
        partitions,
        groups: new Map(hubConfig.consumerGroups.map((g) => [g.toLowerCase(), g])),
        nextPartition: 0,
      });
    }
    const sasl = (
      this.container as unknown as {
        sasl_server_mechanisms: { enable_anonymous(): void; enable_plain(cb: () => boolean): void };
      }
    ).sasl_server_mechanisms;
    sasl.enable_anonymous();
    // SASL carries no key for Event Hubs clients (ANONYMOUS); the key is checked on $cbs put-token.
    sasl.enable_plain(() => true);
    this.container.on('connection_open', (ctx: EventContext) => this.onConnectionOpen(ctx));
    this.container.on('sender_open', (ctx: EventContext) => this.onSenderOpen(ctx));
    this.container.on('receiver_open', (ctx: EventContext) => this.onReceiverOpen(ctx));
    this.container.on('sendable', (ctx: EventContext) =>
      this.schedule(ctx.sender && this.outbound.get(ctx.sender)),
    );
    this.container.on('message', (ctx: EventContext) => this.onMessage(ctx));
    this.container.on('sender_close', (ctx: EventContext) => this.dropOutbound(ctx.sender));
    this.container.on('connection_close', (ctx: EventContext) => this.onDisconnect(ctx.connection));
    this.container.on('disconnected', (ctx: EventContext) => this.onDisconnect(ctx.connection));
    // Link and connection errors from clients are theirs to handle; keep rhea from throwing.
    this.container.on('error', (err: Error) => this.logger.debug('amqp error', { error: err.message }));
    for (const event of [
      'sender_error',
      'receiver_error',
      'session_error',
      'connection_error',
      'protocol_error',
    ]) {
      this.container.on(event, (ctx: EventContext | Error) => {
        const c = ctx as Partial<EventContext>;
        const error =
          ctx instanceof Error ? ctx : (c.sender?.error ?? c.receiver?.error ?? c.session?.error ?? c.error);
        this.logger.debug(event, { error: error instanceof Error ? error.message : error });
      });
    }
  }

  /**
   * Listens on host:port, plain AMQP (what the SDK uses with `UseDevelopmentEmulator=true`), or AMQP
   * over TLS when `tls` is given (what the SDK always uses with a credential: port 5671, see
   * @azure/core-amqp src/ConnectionContextBase.ts). Rejects with the socket error (EADDRINUSE, EACCES).
   */
  listen(host: string, port: number, tls?: { readonly cert: string; readonly key: string }): Promise<number> {
    const server = this.container.listen({
      host,
      port,
      ...(tls ? { transport: 'tls', cert: tls.cert, key: tls.key } : {}),
    } as never) as unknown as Server;
    this.servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
    });
    if (!this.retentionTimer) {
      const retention = Math.min(60_000, ...this.config.hubs.map((h) => Math.max(1000, h.retentionMs / 10)));
      this.enforceRetention();
      this.retentionTimer = setInterval(() => this.enforceRetention(), retention);
      this.retentionTimer.unref();
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error('server error', { error: err.message }));
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    const closed = Promise.all(
      this.servers.map((server) => new Promise<void>((r) => server.close(() => r()))),
    );
    for (const c of this.connections) {
      try {
        c.close({
          condition: Condition.connectionForced,
          description: 'The Event Hubs emulator is shutting down.',
        });
      } catch {
        // already closing
      }
    }
    // Give the close frames a moment to reach the clients, then drop what is left.
    await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sockets) s.destroy();
    await closed;
    for (const hub of this.hubs.values()) for (const p of hub.partitions) await p.log.close();
  }

  private enforceRetention(): void {
    for (const hub of this.hubs.values()) {
      for (const p of hub.partitions) {
        try {
          p.log.enforceRetention();
        } catch (err) {
          this.logger.error('retention failed', {
            partition: `${hub.config.name}/${p.id}`,
            error: (err as Error).message,
          });
        }
      }
    }
  }

  private onConnectionOpen(ctx: EventContext): void {
    this.connections.add(ctx.connection);
    this.replyLinks.set(ctx.connection, new Map());
    handleMissingChannels(ctx.connection, (performative, channel, action) =>
      this.logger.debug(action.ignore ? 'frame on a closed channel ignored' : 'frame on a missing channel', {
        performative,
        channel,
      }),
    );
    this.logger.debug('connection open', { container: ctx.connection.container_id });
  }

  private onDisconnect(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    for (const hub of this.hubs.values()) {
      for (const p of hub.partitions) {
        for (const set of p.receivers.values()) {
          for (const o of set) if (o.sender.connection === connection) this.removeOutbound(o);
        }
      }
    }
    this.logger.debug('connection closed', { container: connection.container_id });
  }

  /** Parses "hub[/Partitions/p]" or "hub/ConsumerGroups/g/Partitions/p". */
  private resolveAddress(
    address: string,
  ): { hub: Hub; group?: string; partition?: Partition } | { error: AmqpError } {
    const parts = address.split('/');
    const hubName = parts[0] ?? '';
    const hub = this.hubs.get(hubName.toLowerCase());
    if (!hub) return { error: notFound(this.config.namespace, `eventhub:${hubName}`) };
    let i = 1;
    let group: string | undefined;
    if (parts[i]?.toLowerCase() === 'consumergroups') {
      const g = parts[i + 1] ?? '';
      group = hub.groups.get(g.toLowerCase());
      if (!group) return { error: notFound(this.config.namespace, `eventhub:${hub.config.name}|${g}`) };
      i += 2;
    }
    let partition: Partition | undefined;
    if (parts[i]?.toLowerCase() === 'partitions') {
      const id = parts[i + 1] ?? '';
      partition = hub.partitions.find((p) => p.id === id);
      if (!partition) {
        return {
          error: {
            condition: Condition.argumentOutOfRange,
            description: `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${hub.partitions.length - 1}. Parameter name: PartitionId`,
          },
        };
      }
      i += 2;
    }
    if (i !== parts.length) return { error: notFound(this.config.namespace, address) };
    return { hub, group, partition };
  }

  // ---- links opened by clients ----

  private onSenderOpen(ctx: EventContext): void {
    const sender = ctx.sender!;
    const address = sender.source?.address ?? '';
    const internals = sender as unknown as LinkInternals;
    internals.local.attach.source = sender.source;
    internals.local.attach.target = sender.target;
    if (address === '$cbs' || isManagement(address)) {
      // Reply links: requests name them by reply_to, which is the link name (and maybe the target).
      const links = this.replyLinks.get(ctx.connection)!;
      links.set(sender.name, sender);
      if (sender.target?.address) links.set(sender.target.address, sender);
      return;
    }
    const resolved = this.resolveAddress(address);
    if ('error' in resolved) return this.refuse(sender, resolved.error);
    if (!resolved.group || !resolved.partition) {
      return this.refuse(sender, notFound(this.config.namespace, address));
    }
    const position = this.startPosition(sender, resolved.partition.log);
    if (typeof position !== 'number') return this.refuse(sender, position);
    const epochValue: unknown = sender.properties?.[EPOCH_PROPERTY];
    const epoch = epochValue === undefined || epochValue === null ? undefined : Number(epochValue);
    const groupKey = resolved.group.toLowerCase();
    const partition = resolved.partition;
    let set = partition.receivers.get(groupKey);
    if (!set) partition.receivers.set(groupKey, (set = new Set()));
    const where = `${resolved.hub.config.name}/ConsumerGroups/${resolved.group}/Partitions/${partition.id}`;
    const epochs = [...set].filter((o) => o.epoch !== undefined).map((o) => o.epoch!);
    const highest = epochs.length > 0 ? Math.max(...epochs) : undefined;
    if (epoch === undefined) {
      if (highest !== undefined) {
        return this.refuse(sender, {
          condition: Condition.linkStolen,
          description: `At least one receiver for the endpoint is created with epoch of '${highest}', and so non-epoch receiver is not allowed. Either reconnect with a higher epoch, or make sure all epoch receivers are closed or disconnected. Reference: ${where}`,
        });
      }
      if (set.size >= MAX_NON_EPOCH_RECEIVERS) {
        return this.refuse(sender, {
          condition: Condition.resourceLimitExceeded,
          description: `Exceeded the maximum number of allowed receivers per partition in a consumer group which is ${MAX_NON_EPOCH_RECEIVERS}. Reference: ${where}`,
        });
      }
    } else {
      if (highest !== undefined && highest > epoch) {
        return this.refuse(sender, {
          condition: Condition.linkStolen,
          description: `Receiver '${sender.name}' with a higher epoch '${highest}' already exists. Receiver with epoch '${epoch}' cannot be created. Make sure you are creating receiver with increasing epoch value to ensure connectivity, or ensure all old epoch receivers are closed or disconnected. Reference: ${where}`,
        });
      }
      for (const old of [...set]) {
        this.removeOutbound(old);
        old.sender.close({
          condition: Condition.linkStolen,
          description: `New receiver '${sender.name}' with higher epoch of '${epoch}' is created hence current receiver '${old.sender.name}' with epoch '${old.epoch ?? 'none'}' is getting disconnected. If you are recreating the receiver, make sure a higher epoch is used. Reference: ${where}`,
        });
        this.logger.debug('receiver disconnected by a newer owner', { where, oldEpoch: old.epoch, epoch });
      }
    }
    internals.local.attach.snd_settle_mode = 1;
    const runtimeMetrics = asArray(sender.desired_capabilities).includes(RUNTIME_METRIC_CAPABILITY);
    if (runtimeMetrics) internals.local.attach.offered_capabilities = [RUNTIME_METRIC_CAPABILITY];
    const out: Outbound = {
      sender,
      partition,
      groupKey,
      epoch,
      runtimeMetrics,
      nextSeq: position,
      scheduled: false,
      closed: false,
      unsubscribe: () => undefined,
    };
    out.unsubscribe = partition.log.onCommit(() => this.schedule(out));
    set.add(out);
    this.outbound.set(sender, out);
    this.logger.debug('receiver attached', { where, epoch, startSequenceNumber: position, runtimeMetrics });
    this.schedule(out);
  }

  /** Reads the selector filter into the sequence number of the first event to deliver. */
  private startPosition(sender: Sender, log: PartitionLog): number | AmqpError {
    const filter = (sender.source as { filter?: Record<string, unknown> } | undefined)?.filter;
    const raw = filter?.[SELECTOR_FILTER];
    const value0 = typeof raw === 'string' ? raw : (raw as { value?: unknown } | undefined)?.value;
    const expression = typeof value0 === 'string' ? value0 : undefined;
    const latest = log.lastSequenceNumber + 1;
    if (value0 !== undefined && expression === undefined) {
      return { condition: Condition.argumentError, description: 'The selector filter must be a string.' };
    }
    if (expression === undefined) return latest;
    const m =
      /^\s*amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i.exec(
        expression,
      );
    if (!m) {
      return {
        condition: Condition.argumentError,
        description: `The filter expression '${expression}' is not supported by the emulator.`,
      };
    }
    const kind = m[1]!.toLowerCase();
    const inclusive = m[2] === '>=';
    const value = m[3]!;
    if (kind === 'offset') {
      if (value === '@latest') return latest;
      const offset = Number(value);
      if (!Number.isFinite(offset))
        return { condition: Condition.argumentError, description: `The offset '${value}' is not valid.` };
      return offset < 0 ? log.beginSequenceNumber : log.seqAfterOffset(offset, inclusive);
    }
    const n = Number(value);
    if (!Number.isFinite(n))
      return {
        condition: Condition.argumentError,
        description: `The value '${value}' is not valid for x-opt-${kind}.`,
      };
    if (kind === 'enqueued-time') return log.seqAfterTime(n);
    const seq = inclusive ? n : n + 1;
    if (seq > latest) {
      return {
        condition: Condition.argumentOutOfRange,
        description: `The supplied sequence number '${n}' is invalid. The last sequence number in the system is '${log.lastSequenceNumber}'.`,
      };
    }
    return Math.max(seq, log.beginSequenceNumber);
  }

  private refuse(link: Sender | Receiver, error: AmqpError): void {
    this.logger.debug('link refused', { address: link.source?.address ?? link.target?.address, ...error });
    link.close(error);
  }

  private dropOutbound(sender: Sender | undefined): void {
    if (!sender) return;
    // The client detached: rhea answers with our detach and frees the handle, but deliveries the
    // pump queued in the session and not yet written would still go out on it. A transfer on a
    // handle that is no longer attached is an error (AMQP 1.0 core, part 2, session errors:
    // amqp:session:unattached-handle); the SDK's rhea throws "Invalid handle", ends the socket, and
    // its EventHubConsumerClient.close() then never resolved. With no credit left, rhea keeps those
    // deliveries unsent (Outgoing.process stops at a link without credit) until the session ends.
    (sender as unknown as { credit: number }).credit = 0;
    const out = this.outbound.get(sender);
    if (out) this.removeOutbound(out);
    const replies = this.replyLinks.get(sender.connection);
    if (replies?.get(sender.name) === sender) replies.delete(sender.name);
    const target = sender.target?.address;
    if (target && replies?.get(target) === sender) replies.delete(target);
  }

  private removeOutbound(out: Outbound): void {
    if (out.closed) return;
    out.closed = true;
    out.unsubscribe();
    out.partition.receivers.get(out.groupKey)?.delete(out);
  }

  private schedule(out: Outbound | undefined): void {
    if (!out || out.scheduled || out.closed) return;
    out.scheduled = true;
    // After rhea has processed this tick's frames, so the credit it reports is current.
    setImmediate(() => {
      out.scheduled = false;
      this.pump(out);
    });
  }

  /** Sends what the receiver has credit for; a new commit or a flow frame schedules the next pass. */
  private pump(out: Outbound): void {
    if (out.closed || !out.sender.is_open()) return;
    const outgoing = (out.sender as unknown as LinkInternals).session.outgoing;
    // Credit minus what rhea still holds unsent, and never more than its delivery buffer
    // (2048 per session) has room for: rhea throws rather than block when that overflows.
    const queued = outgoing.next_delivery_id - outgoing.next_pending_delivery;
    const credit = (out.sender as unknown as { credit: number }).credit;
    const budget = Math.min(credit - queued, outgoing.deliveries.available() - 16, MAX_PER_PASS);
    if (budget <= 0) return;
    const log = out.partition.log;
    const events = log.read(out.nextSeq, budget, READ_BYTES);
    if (events.length === 0) return;
    const now = Date.now();
    const info = out.runtimeMetrics
      ? runtimeInfoSection(log.lastSequenceNumber, log.lastEnqueuedOffset, log.lastEnqueuedTime, now)
      : undefined;
    // rhea writes each transfer frame to the socket on its own; corking until rhea has run
    // (it flushes in a nextTick) turns a pass into one writev instead of a syscall per event.
    const socket = (out.sender.connection as unknown as { socket?: Socket }).socket;
    if (socket && !socket.writableCorked) {
      socket.cork();
      setImmediate(() => socket.uncork());
    }
    for (const e of events) {
      out.sender.send(info ? Buffer.concat([info, e.payload]) : e.payload, undefined, 0);
    }
    out.nextSeq = events[events.length - 1]!.sequenceNumber + 1;
    if (out.nextSeq <= log.lastSequenceNumber) this.schedule(out);
  }

  private onReceiverOpen(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const address = receiver.target?.address ?? '';
    const internals = receiver as unknown as LinkInternals;
    internals.local.attach.source = receiver.source;
    internals.local.attach.target = receiver.target;
    if (address === '$cbs' || isManagement(address)) {
      if (address.endsWith('/$management')) {
        const resolved = this.resolveAddress(address.slice(0, -'/$management'.length));
        if ('error' in resolved) return this.refuse(receiver, resolved.error);
      }
      receiver.add_credit(100);
      return;
    }
    const resolved = this.resolveAddress(address);
    if ('error' in resolved) return this.refuse(receiver, resolved.error);
    if (resolved.group) return this.refuse(receiver, notFound(this.config.namespace, address));
    internals.local.attach.max_message_size = this.config.maxMessageBytes;
    receiver.add_credit(SENDER_CREDIT);
  }

  // ---- messages from clients ----

  private onMessage(ctx: EventContext): void {
    const receiver = ctx.receiver!;
    const delivery = ctx.delivery!;
    const address = receiver.target?.address ?? '';
    if (address === '$cbs') return this.onCbs(ctx, receiver, delivery);
    if (isManagement(address)) return this.onManagement(ctx, receiver, delivery);
    this.onEvents(ctx, receiver, delivery);
  }

  private reply(
    ctx: EventContext,
    request: Message,
    status: number,
    description: string,
    body?: unknown,
    condition?: string,
  ): void {
    const links = this.replyLinks.get(ctx.connection);
    const to = request.reply_to;
    const link = to === undefined ? undefined : links?.get(to);
    if (!link) {
      this.logger.warn('no reply link for a request', { replyTo: to });
      return;
    }
    link.send({
      correlation_id: request.message_id,
      application_properties: {
        'status-code': status,
        'status-description': description,
        ...(condition === undefined ? {} : { 'error-condition': condition }),
      },
      ...(body === undefined ? {} : { body }),
    } as Message);
  }

  private onCbs(ctx: EventContext, receiver: Receiver, delivery: Delivery): void {
    const request = ctx.message!;
    delivery.accept();
    receiver.add_credit(1);
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (props.operation !== 'put-token')
      problems.push(`unsupported operation ${JSON.stringify(props.operation)}`);
    if (typeof props.name !== 'string' || props.name === '') problems.push('missing the audience (name)');
    const type = props.type;
    if (type !== 'servicebus.windows.net:sastoken' && type !== 'jwt')
      problems.push(`unsupported token type ${JSON.stringify(type)}`);
    const token = request.body as unknown;
    if (typeof token !== 'string' || token === '')
      problems.push('the token (body) must be a non-empty string');
    else if (type === 'servicebus.windows.net:sastoken') {
      const check = checkSasToken(token, this.config.sharedAccessKeys);
      if (!check.ok && check.status === 401) {
        this.logger.warn('cbs token refused', { reason: check.description, audience: props.name });
        this.reply(ctx, request, 401, check.description);
        return;
      }
      if (!check.ok) problems.push(check.description);
    } else if (typeof token === 'string' && token.split('.').length !== 3)
      problems.push('the JWT is malformed');
    if (problems.length > 0) {
      this.logger.debug('cbs request refused', { problems });
      this.reply(ctx, request, 400, problems.join('; '));
      return;
    }
    this.reply(ctx, request, 202, 'Accepted');
  }

  private onManagement(ctx: EventContext, receiver: Receiver, delivery: Delivery): void {
    const request = ctx.message!;
    delivery.accept();
    receiver.add_credit(1);
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    if (props.operation !== 'READ') {
      this.reply(
        ctx,
        request,
        501,
        `The operation ${JSON.stringify(props.operation)} is not supported by the emulator.`,
      );
      return;
    }
    const name = typeof props.name === 'string' ? props.name : '';
    const hub = this.hubs.get(name.toLowerCase());
    if (!hub) {
      this.reply(
        ctx,
        request,
        404,
        notFound(this.config.namespace, `eventhub:${name}`).description!,
        undefined,
        Condition.notFound,
      );
      return;
    }
    if (props.type === 'com.microsoft:eventhub') {
      this.reply(
        ctx,
        request,
        200,
        'OK',
        types.wrap_map({
          name: types.wrap_string(hub.config.name),
          type: types.wrap_string('com.microsoft:eventhub'),
          created_at: types.wrap_timestamp(hub.config.createdAt.getTime()),
          partition_count: types.wrap_int(hub.partitions.length),
          partition_ids: types.wrap_array(
            hub.config.partitionIds.map((id) => id),
            0xa1,
            undefined,
          ),
        }),
      );
      return;
    }
    if (props.type === 'com.microsoft:partition') {
      const id = typeof props.partition === 'string' ? props.partition : String(props.partition);
      const partition = hub.partitions.find((p) => p.id === id);
      if (!partition) {
        this.reply(
          ctx,
          request,
          400,
          `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${hub.partitions.length - 1}. Parameter name: PartitionId`,
          undefined,
          Condition.argumentOutOfRange,
        );
        return;
      }
      const log = partition.log;
      const everWritten = log.lastSequenceNumber >= 0;
      this.reply(
        ctx,
        request,
        200,
        'OK',
        types.wrap_map({
          name: types.wrap_string(hub.config.name),
          type: types.wrap_string('com.microsoft:partition'),
          partition: types.wrap_string(id),
          begin_sequence_number: types.wrap_long(everWritten ? log.beginSequenceNumber : -1),
          last_enqueued_sequence_number: types.wrap_long(log.lastSequenceNumber),
          last_enqueued_offset: types.wrap_string(String(log.lastEnqueuedOffset)),
          last_enqueued_time_utc: types.wrap_timestamp(log.lastEnqueuedTime),
          is_partition_empty: types.wrap_boolean(log.isEmpty),
        }),
      );
      return;
    }
    this.reply(ctx, request, 400, `Unknown entity type ${JSON.stringify(props.type)}.`);
  }

  private onEvents(ctx: EventContext, receiver: Receiver, delivery: Delivery): void {
    const raw = ctx.message as unknown;
    const format = (ctx as { format?: number }).format ?? 0;
    const reject = (error: AmqpError) => {
      delivery.reject(error);
      receiver.add_credit(1);
    };
    // rhea hands format-0 messages over decoded; re-encode them to keep one code path.
    const payload = Buffer.isBuffer(raw) ? raw : rheaMessage.encode(raw);
    if (payload.length > this.config.maxMessageBytes) {
      reject({
        condition: Condition.messageSizeExceeded,
        description: `The received message (delivery-id:${String((delivery as { id?: number }).id)}, size:${payload.length} bytes) exceeds the limit (${this.config.maxMessageBytes} bytes) currently allowed on the link.`,
      });
      return;
    }
    let unpacked;
    try {
      unpacked = unpackTransfer(payload, format);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      reject({ condition: Condition.decodeError, description: err.message });
      return;
    }
    const resolved = this.resolveAddress(receiver.target?.address ?? '');
    if ('error' in resolved) return reject(resolved.error);
    const hub = resolved.hub;
    let partition = resolved.partition;
    if (partition && unpacked.partitionKey !== undefined) {
      reject({
        condition: Condition.argumentError,
        description: 'A partition key cannot be set when sending to a specific partition.',
      });
      return;
    }
    if (!partition) {
      const index =
        unpacked.partitionKey !== undefined
          ? partitionForKey(unpacked.partitionKey, hub.partitions.length)
          : hub.nextPartition++ % hub.partitions.length;
      partition = hub.partitions[index]!;
    }
    if (unpacked.events.length === 0) {
      delivery.accept();
      receiver.add_credit(1);
      return;
    }
    partition.log.append(unpacked.events, unpacked.partitionKey).then(
      () => {
        delivery.accept();
        receiver.add_credit(1);
      },
      (err: Error) =>
        reject({
          condition: Condition.internalError,
          description: `The event could not be stored: ${err.message}`,
        }),
    );
  }
}
