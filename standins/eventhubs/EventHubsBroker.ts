import { statSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import rhea from 'rhea';
import type { HubSettings } from './brokerSettings';
import { partitionForKey } from './partitionForKey';
import { PartitionLog, type Placement } from './PartitionLog';
import { PartitionReader } from './PartitionReader';
import { checkToken, covers, resourceSegments } from './sharedAccessToken';
import { parseStartPosition, selectorOf } from './startPosition';
import { withAnnotations } from './withAnnotations';

export interface BrokerOptions {
  hubs: readonly HubSettings[];
  keyName: string;
  key: string;
  /** Where the partitions' segment files live. */
  dataDir: string;
  retentionHours?: number | undefined;
  /** Segment size before a new one is started (default 16 MiB). */
  segmentBytes?: number;
  /** The clock of enqueued times, retention and token expiry. */
  now?: () => number;
  log: (line: string) => void;
}

interface Hub {
  name: string;
  created: Date;
  partitions: PartitionLog[];
  consumerGroups: Set<string>;
}

/** What a client's sender link publishes to: a hub, or one of its partitions. */
interface PublishTarget {
  hub: Hub;
  partition: PartitionLog | undefined;
}

interface ConnectionState {
  /** Entity paths (lower-case segments) a CBS token was put for, until it expires. */
  grants: { path: string[]; expiresAt: number }[];
  readers: Set<PartitionReader>;
  /** The request/response links' reply ends ($cbs, $management), by reply-to address. */
  replies: Map<string, rhea.Sender>;
}

/** The AMQP message format of a batch: an envelope whose data sections are encoded events. */
const BATCH_FORMAT = 0x80013700;
/** As on a Standard namespace; the SDK sizes its batches by what the link advertises. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const RETENTION_SWEEP_MS = 60_000;
const EPOCH = 'com.microsoft:epoch';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const addressOf = (terminus: unknown): string =>
  text((terminus as { address?: unknown } | undefined)?.address);

/**
 * An Event Hubs stand-in over AMQP 1.0 (plain TCP) that the official `@azure/event-hubs` client
 * talks to unchanged through a `UseDevelopmentEmulator=true` connection string: CBS put-token
 * checked against the key, the `$management` node, senders to a hub or a partition (batches,
 * partition keys hashed as the service does), and receivers per consumer group and partition
 * with the SDK's start positions, credit flow and owner levels. Every event is on disk before
 * the sender is told it was accepted, and before any receiver sees it.
 */
export class EventHubsBroker {
  private readonly container = rhea.create_container({ id: 'eventhubs-standin' });
  private readonly hubs = new Map<string, Hub>();
  private readonly connections = new Map<rhea.Connection, ConnectionState>();
  private readonly readers = new Map<PartitionLog, Set<PartitionReader>>();
  private readonly readerOfLink = new WeakMap<rhea.Sender, PartitionReader>();
  private readonly targets = new WeakMap<rhea.Receiver, PublishTarget>();
  private readonly now: () => number;
  private server: Server | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private roundRobin = 0;

  constructor(private readonly options: BrokerOptions) {
    this.now = options.now ?? Date.now;
    const retentionMs = (options.retentionHours ?? 24) * 3_600_000;
    for (const settings of options.hubs) {
      const dir = join(options.dataDir, settings.name);
      const partitions = Array.from(
        { length: settings.partitions },
        (_, i) =>
          new PartitionLog(join(dir, String(i)), {
            segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024,
            retentionMs,
            segmentMaxAgeMs: Math.min(retentionMs, 3_600_000),
            now: this.now,
            stamp: stampEvent,
            warn: (m) => options.log(`${settings.name}: ${m}`),
          }),
      );
      for (const log of partitions) {
        this.readers.set(log, new Set());
        log.onAppended = () => this.readers.get(log)?.forEach((r) => r.pump());
      }
      this.hubs.set(settings.name.toLowerCase(), {
        name: settings.name,
        created: statSync(dir).birthtime,
        partitions,
        consumerGroups: new Set(
          ['$Default', ...(settings.consumerGroups ?? [])].map((g) => g.toLowerCase()),
        ),
      });
    }
    this.enforceRetention();
    // The SDK authenticates with SASL ANONYMOUS (the key name as identity), then CBS.
    (this.container.sasl_server_mechanisms as { enable_anonymous(): void }).enable_anonymous();
    this.container.on('connection_open', (c: rhea.EventContext) =>
      this.connections.set(c.connection, { grants: [], readers: new Set(), replies: new Map() }),
    );
    this.container.on('connection_close', (c: rhea.EventContext) => this.forget(c.connection));
    this.container.on('disconnected', (c: rhea.EventContext) => this.forget(c.connection));
    this.container.on('sender_open', (c: rhea.EventContext) => this.senderOpened(c));
    this.container.on('sender_close', (c: rhea.EventContext) => this.senderClosed(c));
    this.container.on('receiver_open', (c: rhea.EventContext) => this.receiverOpened(c));
    this.container.on('sendable', (c: rhea.EventContext) =>
      this.readerOfLink.get(c.sender!)?.pump(),
    );
    this.container.on('message', (c: rhea.EventContext) => this.received(c));
    // Errors a client detaches or closes with are its own business; unhandled, rhea throws.
    this.container.on('error', (error: unknown) => options.log(`AMQP: ${String(error)}`));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.container.listen({
        port,
        host,
        // Deliveries are settled by hand, once durable; links advertise the message size.
        receiver_options: { autoaccept: false, max_message_size: MAX_MESSAGE_BYTES },
        sender_options: { snd_settle_mode: 1, max_message_size: MAX_MESSAGE_BYTES },
      } as rhea.ServerConnectionOptions);
      this.server = server;
      server.once('listening', () => {
        this.sweeper = setInterval(() => this.enforceRetention(), RETENTION_SWEEP_MS).unref();
        resolve((server.address() as { port: number }).port);
      });
      server.once('error', reject);
    });
  }

  /** Drops the segments older than the retention, in every partition. */
  enforceRetention(): void {
    for (const hub of this.hubs.values()) for (const log of hub.partitions) log.enforceRetention();
  }

  /** Stops listening, closes every connection, and waits for pending writes before closing. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.server?.close();
    for (const connection of this.connections.keys()) connection.close();
    this.connections.clear();
    await Promise.all(
      [...this.hubs.values()].flatMap((hub) => hub.partitions.map((log) => log.close())),
    );
  }

  private forget(connection: rhea.Connection): void {
    const state = this.connections.get(connection);
    if (!state) return;
    this.connections.delete(connection);
    for (const reader of state.readers) this.dropReader(reader);
  }

  private dropReader(reader: PartitionReader, error?: rhea.AmqpError): void {
    reader.close(error);
    this.readers.get(reader.log)?.delete(reader);
    this.connections.get(reader.link.connection)?.readers.delete(reader);
  }

  private senderClosed(context: rhea.EventContext): void {
    const sender = context.sender!;
    const reader = this.readerOfLink.get(sender);
    if (reader) this.dropReader(reader);
    const replies = this.connections.get(context.connection)?.replies;
    for (const name of [sender.name, addressOf(sender.target)])
      if (replies?.get(name) === sender) replies.delete(name);
  }

  /** Entity paths are compared by segment, case-insensitively, against the connection's grants. */
  private authorized(connection: rhea.Connection, path: string[]): boolean {
    const now = this.now() / 1000;
    return (this.connections.get(connection)?.grants ?? []).some(
      (g) => g.expiresAt > now && covers(g.path, path),
    );
  }

  private notFound(connection: rhea.Connection, path: string): rhea.AmqpError {
    return {
      condition: 'amqp:not-found',
      description: `The messaging entity 'sb://${connection.hostname ?? 'localhost'}/${path}' could not be found.`,
    };
  }

  /** A client's receiver: the request/response nodes' reply end, or a partition reader. */
  private senderOpened(context: rhea.EventContext): void {
    const sender = context.sender!;
    const address = addressOf(sender.source);
    sender.set_source(sender.source);
    sender.set_target(sender.target);
    if (address === '$cbs' || address === '$management') {
      // Replies go to `reply_to`: the SDK sets it to its receiver's target address ($management)
      // or, with no target, to the link's name ($cbs).
      const replies = this.connections.get(context.connection)?.replies;
      replies?.set(sender.name, sender);
      if (addressOf(sender.target)) replies?.set(addressOf(sender.target), sender);
      return;
    }
    const match = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i.exec(address);
    const hub = match ? this.hubs.get(match[1]!.toLowerCase()) : undefined;
    if (!match || !hub || !hub.consumerGroups.has(match[2]!.toLowerCase()))
      return void sender.close(this.notFound(context.connection, address));
    const log = partitionOf(hub, match[3]!);
    if (!log) return void sender.close(badPartition(match[3]!));
    if (!this.authorized(context.connection, resourceSegments(address)))
      return void sender.close(unauthorized(address));
    const position = parseStartPosition(selectorOf(sender.source));
    if (!position)
      return void sender.close({
        condition: 'com.microsoft:argument-error',
        description: `Unsupported filter '${String(selectorOf(sender.source))}'.`,
      });
    const start = log.startOf(position);
    if (start instanceof Error)
      return void sender.close({
        condition: 'com.microsoft:argument-out-of-range',
        description: start.message,
      });
    const epoch = (sender.properties as Record<string, unknown> | undefined)?.[EPOCH];
    const ownerLevel = epoch === undefined || epoch === null ? null : Number(epoch);
    const group = match[2]!.toLowerCase();
    if (!this.admit(log, group, ownerLevel, sender)) return;
    const reader = new PartitionReader(sender, log, group, ownerLevel, start);
    this.readers.get(log)!.add(reader);
    this.readerOfLink.set(sender, reader);
    this.connections.get(context.connection)?.readers.add(reader);
    reader.start();
  }

  /**
   * Owner levels, as the service enforces them per partition and consumer group: a receiver
   * with an owner level at least the highest present takes the partition over (the others are
   * detached with `amqp:link:stolen`, which the SDK reports as ReceiverDisconnectedError); a
   * lower one, or one without a level while a level is held, is refused the same way.
   */
  private admit(
    log: PartitionLog,
    group: string,
    ownerLevel: number | null,
    sender: rhea.Sender,
  ): boolean {
    const others = [...this.readers.get(log)!].filter((r) => r.consumerGroup === group);
    const levels = others.map((r) => r.ownerLevel).filter((l): l is number => l !== null);
    const highest = levels.length > 0 ? Math.max(...levels) : null;
    if (highest !== null && (ownerLevel === null || ownerLevel < highest)) {
      sender.close({
        condition: 'amqp:link:stolen',
        description: `Receiver with epoch '${ownerLevel ?? 'none'}' cannot be created: a receiver with a higher epoch '${highest}' already exists.`,
      });
      return false;
    }
    if (ownerLevel !== null) {
      for (const other of others)
        this.dropReader(other, {
          condition: 'amqp:link:stolen',
          description: `New receiver with higher epoch of '${ownerLevel}' is created hence current receiver with epoch '${other.ownerLevel ?? 'none'}' is getting disconnected.`,
        });
    }
    return true;
  }

  /** A client's sender: to the request/response nodes, a hub, or a hub's partition. */
  private receiverOpened(context: rhea.EventContext): void {
    const receiver = context.receiver!;
    const address = addressOf(receiver.target);
    receiver.set_target(receiver.target);
    receiver.set_source(receiver.source);
    if (address === '$cbs' || address === '$management') return;
    const match = /^([^/]+)(?:\/Partitions\/([^/]+))?$/i.exec(address);
    const hub = match ? this.hubs.get(match[1]!.toLowerCase()) : undefined;
    if (!match || !hub) return void receiver.close(this.notFound(context.connection, address));
    const partition = match[2] === undefined ? undefined : partitionOf(hub, match[2]);
    if (match[2] !== undefined && !partition) return void receiver.close(badPartition(match[2]));
    if (!this.authorized(context.connection, resourceSegments(address)))
      return void receiver.close(unauthorized(address));
    this.targets.set(receiver, { hub, partition });
  }

  private received(context: rhea.EventContext): void {
    const target = addressOf(context.receiver!.target);
    if (target === '$cbs') return this.putToken(context);
    if (target === '$management') return this.manage(context);
    const delivery = context.delivery!;
    const destination = this.targets.get(context.receiver!);
    if (!destination) return delivery.reject(this.notFound(context.connection, target));
    // rhea decodes format 0 and hands other formats over as bytes.
    const raw =
      delivery.format === 0
        ? rhea.message.encode(context.message!)
        : (context.message as unknown as Buffer);
    if (raw.length > MAX_MESSAGE_BYTES)
      return delivery.reject({
        condition: 'amqp:link:message-size-exceeded',
        description: `The message of ${raw.length} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`,
      });
    let events: Buffer[];
    let partitionKey: string | null;
    try {
      const envelope =
        delivery.format === BATCH_FORMAT
          ? (rhea.message.decode(raw) as unknown as rhea.Message)
          : context.message!;
      events = delivery.format === BATCH_FORMAT ? unbatch(envelope) : [raw];
      const key: unknown = envelope.message_annotations?.['x-opt-partition-key'];
      partitionKey = typeof key === 'string' ? key : null;
    } catch (error) {
      return delivery.reject({ condition: 'amqp:decode-error', description: String(error) });
    }
    // One delivery lands whole on one partition: the link's, the key's, or the next in turn.
    const { hub } = destination;
    const log =
      destination.partition ??
      hub.partitions[
        partitionKey === null
          ? this.roundRobin++ % hub.partitions.length
          : partitionForKey(partitionKey, hub.partitions.length)
      ]!;
    log.append(events, partitionKey).then(
      () => delivery.accept(),
      (error: Error) => {
        this.options.log(`${hub.name}: events not stored: ${error.message}`);
        delivery.reject({
          condition: 'amqp:internal-error',
          description: `The stand-in could not store the events (disk full?): ${error.message}`,
        });
      },
    );
  }

  private putToken(context: rhea.EventContext): void {
    const request = context.message!;
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const audience = text(props.name);
    if (props.operation !== 'put-token')
      return this.reply(context, 400, `Unsupported CBS operation '${text(props.operation)}'.`);
    const path = resourceSegments(audience).slice(1);
    if (!this.hubs.has(path[0] ?? ''))
      return this.reply(
        context,
        404,
        `The messaging entity '${audience}' could not be found.`,
        'amqp:not-found',
      );
    const check = checkToken(text(request.body), audience, this.options, this.now() / 1000);
    if (!check.ok) return this.reply(context, 401, check.reason, 'amqp:unauthorized-access');
    this.connections.get(context.connection)?.grants.push({ path, expiresAt: check.expiresAt });
    return this.reply(context, 202, 'Accepted');
  }

  /** `$management` READ requests, each carrying its own token for the hub. */
  private manage(context: rhea.EventContext): void {
    const props = (context.message!.application_properties ?? {}) as Record<string, unknown>;
    const name = text(props.name);
    const hub = this.hubs.get(name.toLowerCase());
    if (props.operation !== 'READ')
      return this.reply(context, 400, `Unsupported operation '${text(props.operation)}'.`);
    if (!hub)
      return this.reply(
        context,
        404,
        `The messaging entity 'sb://${context.connection.hostname ?? 'localhost'}/${name}' could not be found.`,
        'amqp:not-found',
      );
    const token = text(props.security_token);
    const host = resourceSegments(tokenResource(token))[0] ?? '';
    const check = checkToken(token, `sb://${host}/${name}`, this.options, this.now() / 1000);
    if (!check.ok) return this.reply(context, 401, check.reason, 'amqp:unauthorized-access');
    if (props.type === 'com.microsoft:eventhub')
      return this.reply(context, 200, 'OK', undefined, {
        name: hub.name,
        type: 'com.microsoft:eventhub',
        created_at: hub.created,
        partition_count: hub.partitions.length,
        partition_ids: hub.partitions.map((_, i) => String(i)),
      });
    if (props.type !== 'com.microsoft:partition')
      return this.reply(context, 400, `Unsupported type '${text(props.type)}'.`);
    const log = partitionOf(hub, text(props.partition));
    if (!log) {
      const error = badPartition(text(props.partition));
      return this.reply(context, 400, error.description!, error.condition);
    }
    const last = log.lastEvent;
    return this.reply(context, 200, 'OK', undefined, {
      name: hub.name,
      type: 'com.microsoft:partition',
      partition: text(props.partition),
      begin_sequence_number: rhea.types.wrap_long(log.beginSequence),
      last_enqueued_sequence_number: rhea.types.wrap_long(log.nextSequence - 1),
      last_enqueued_offset: last ? String(last.offset) : '-1',
      last_enqueued_time_utc: new Date(last?.enqueuedTime ?? 0),
      is_partition_empty: log.beginSequence === log.nextSequence,
    });
  }

  private reply(
    context: rhea.EventContext,
    status: number,
    description: string,
    condition?: string,
    body?: unknown,
  ): void {
    const request = context.message!;
    const replyTo = text(request.reply_to);
    const sender = this.connections.get(context.connection)?.replies.get(replyTo);
    context.delivery?.accept();
    sender?.send({
      to: replyTo,
      correlation_id: request.message_id,
      application_properties: {
        'status-code': status,
        'status-description': description,
        ...(condition ? { 'error-condition': condition } : {}),
      },
      body: body ?? null,
    });
  }
}

/** The annotations the service stamps on every event it accepts. */
function stampEvent(message: Buffer, placement: Placement): Buffer {
  return withAnnotations(message, {
    'x-opt-sequence-number': rhea.types.wrap_long(placement.sequenceNumber),
    'x-opt-offset': String(placement.offset),
    'x-opt-enqueued-time': rhea.types.wrap_timestamp(placement.enqueuedTime),
    ...(placement.partitionKey === null ? {} : { 'x-opt-partition-key': placement.partitionKey }),
  });
}

/** The encoded events in a batch envelope's data sections. */
function unbatch(envelope: rhea.Message): Buffer[] {
  const body = envelope.body as { typecode?: number; content?: unknown; multiple?: boolean };
  if (body?.typecode !== 0x75) throw new Error('A batch carries its events in data sections');
  const sections = body.multiple ? (body.content as unknown[]) : [body.content];
  return sections.map((s) => {
    if (!Buffer.isBuffer(s)) throw new Error('A batch section is not binary');
    return s;
  });
}

function partitionOf(hub: Hub, id: string): PartitionLog | undefined {
  return /^\d+$/.test(id) ? hub.partitions[Number(id)] : undefined;
}

function badPartition(id: string): rhea.AmqpError {
  return {
    condition: 'com.microsoft:argument-out-of-range',
    description: `The specified partition '${id}' is invalid for an EventHub partition sender or receiver.`,
  };
}

function unauthorized(address: string): rhea.AmqpError {
  return {
    condition: 'amqp:unauthorized-access',
    description: `Unauthorized access to '${address}': put a valid token for it on $cbs first.`,
  };
}

function tokenResource(token: string): string {
  const sr = /(?:^|[\s&])sr=([^&]*)/i.exec(token)?.[1] ?? '';
  try {
    return decodeURIComponent(sr);
  } catch {
    return '';
  }
}
