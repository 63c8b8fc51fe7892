import { createHash } from 'node:crypto';
import { join } from 'node:path';
import rhea from 'rhea';
import { PartitionLog, type StoredEvent } from './PartitionLog';
import { refuseToken } from './sharedAccessToken';

export interface HubSettings {
  name: string;
  partitions: number;
}

export interface BrokerOptions {
  hubs: readonly HubSettings[];
  keyName: string;
  key: string;
  /** Where events are kept; without it, in memory only. */
  dataDir?: string | undefined;
  retentionHours?: number;
  now?: () => number;
  log: (line: string) => void;
}

/** The AMQP message format of a batch: data sections, each an encoded event. */
const BATCH_FORMAT = 0x80013700;
const FILTER =
  /amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'/;

type Link = rhea.Sender & { cursor?: number; partition?: PartitionLog };

/**
 * An Event Hubs stand-in over AMQP 1.0 that the official `@azure/event-hubs` client talks to
 * unchanged (connection strings with `UseDevelopmentEmulator=true`): CBS authorization, the
 * `$management` node, senders to a hub or a partition (batches included, partition keys
 * hashed to one partition), and receivers per consumer group and partition with the SDK's
 * position filters, credit flow and the annotations its events carry.
 */
export class EventHubsBroker {
  private readonly container = rhea.create_container({ id: 'eventhubs-standin' });
  private readonly hubs = new Map<string, PartitionLog[]>();
  private readonly created = new Date();
  private listener: ReturnType<rhea.Container['listen']> | undefined;
  private readonly now: () => number;
  private roundRobin = 0;

  constructor(private readonly options: BrokerOptions) {
    this.now = options.now ?? Date.now;
    const retentionMs = (options.retentionHours ?? 24) * 3_600_000;
    for (const hub of options.hubs) {
      this.hubs.set(
        hub.name,
        Array.from(
          { length: hub.partitions },
          (_, i) =>
            new PartitionLog(
              options.dataDir ? join(options.dataDir, hub.name, String(i)) : undefined,
              retentionMs,
              this.now(),
              options.log,
            ),
        ),
      );
    }
    (
      this.container as unknown as { sasl_server_mechanisms: { enable_anonymous(): void } }
    ).sasl_server_mechanisms.enable_anonymous();
    this.container.on('sender_open', (context: rhea.EventContext) => this.senderOpened(context));
    this.container.on('receiver_open', (context: rhea.EventContext) => {
      context.receiver?.set_target(context.receiver.target);
    });
    this.container.on('message', (context: rhea.EventContext) => void this.received(context));
    this.container.on('sendable', (context: rhea.EventContext) =>
      this.pump(context.sender as Link),
    );
    this.container.on('error', (error: unknown) => options.log(`AMQP error: ${String(error)}`));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.container.listen({ port, host });
      this.listener = server;
      server.once('listening', () => resolve((server.address() as { port: number }).port));
      server.once('error', reject);
    });
  }

  close(): void {
    this.listener?.close();
    for (const partitions of this.hubs.values()) for (const p of partitions) p.close();
  }

  private partitionOf(
    hub: string,
    partition: string | undefined,
    key: string | null,
  ): PartitionLog | undefined {
    const partitions = this.hubs.get(hub);
    if (!partitions) return undefined;
    if (partition !== undefined) return partitions[Number(partition)];
    // One key always lands on one partition; events without one are spread round-robin.
    const index =
      key === null
        ? this.roundRobin++ % partitions.length
        : createHash('sha256').update(key).digest().readUInt32BE(0) % partitions.length;
    return partitions[index];
  }

  private authorized(connection: rhea.Connection, audience: string): boolean {
    const granted = (connection as unknown as { granted?: Set<string> }).granted;
    const entity = audience.toLowerCase();
    return [...(granted ?? [])].some((a) => entity.includes(a));
  }

  private senderOpened(context: rhea.EventContext): void {
    const sender = context.sender as Link;
    const address = (sender.source as { address?: string } | undefined)?.address ?? '';
    sender.set_source(sender.source);
    if (address === '$cbs' || address === '$management' || address.startsWith('$')) return;
    const match = /^([^/]+)\/ConsumerGroups\/[^/]+\/Partitions\/(\d+)$/i.exec(address);
    const partition = match ? this.hubs.get(match[1]!)?.[Number(match[2])] : undefined;
    if (!match || !partition) {
      sender.close({
        condition: 'amqp:not-found',
        description: `The messaging entity '${address}' could not be found.`,
      });
      return;
    }
    if (!this.authorized(context.connection, match[1]!)) {
      sender.close({
        condition: 'amqp:unauthorized-access',
        description: `Unauthorized access to '${match[1]}': put a valid token first.`,
      });
      return;
    }
    sender.partition = partition;
    sender.cursor = startOf(partition.events, filterOf(sender.source));
    this.pump(sender);
  }

  private pump(sender: Link | undefined): void {
    const partition = sender?.partition;
    if (!sender || !partition || sender.cursor === undefined) return;
    while (sender.cursor < partition.events.length && sender.sendable()) {
      const event = partition.events[sender.cursor++]!;
      sender.send(withAnnotations(event));
    }
  }

  private async received(context: rhea.EventContext): Promise<void> {
    const receiver = context.receiver!;
    const message = context.message!;
    const target = (receiver.target as { address?: string } | undefined)?.address ?? '';
    if (target === '$cbs') return this.putToken(context, message);
    if (target === '$management') return this.manage(context, message);
    const [hub, , partitionId] = target.split('/');
    if (!hub || !this.hubs.has(hub)) {
      context.delivery?.reject({
        condition: 'amqp:not-found',
        description: `The messaging entity '${target}' could not be found.`,
      });
      return;
    }
    if (!this.authorized(context.connection, hub)) {
      context.delivery?.reject({
        condition: 'amqp:unauthorized-access',
        description: 'Put a valid token first.',
      });
      return;
    }
    // rhea leaves a message of the batch format undecoded: the envelope is ours to read.
    const batched = context.delivery?.format === BATCH_FORMAT;
    const envelope = batched
      ? (rhea.message.decode(message as unknown as Buffer) as unknown as rhea.Message)
      : message;
    const events = batched ? unbatch(envelope) : [message];
    const touched = new Set<PartitionLog>();
    for (const event of events) {
      const annotations = (event.message_annotations ??
        envelope.message_annotations ??
        {}) as Record<string, unknown>;
      const key =
        typeof annotations['x-opt-partition-key'] === 'string'
          ? annotations['x-opt-partition-key']
          : null;
      const partition = this.partitionOf(hub, partitionId, key);
      if (!partition) {
        context.delivery?.reject({
          condition: 'amqp:not-found',
          description: `No partition '${String(partitionId)}' in '${hub}'.`,
        });
        return;
      }
      partition.append(Buffer.from(rhea.message.encode(event)), key, this.now());
      touched.add(partition);
    }
    try {
      await Promise.all([...touched].map((p) => p.durable()));
      context.delivery?.accept();
    } catch (error) {
      context.delivery?.reject({
        condition: 'com.microsoft:server-busy',
        description: String(error),
      });
      return;
    }
    for (const link of this.consumers()) if (touched.has(link.partition!)) this.pump(link);
  }

  private *consumers(): Generator<Link> {
    for (const connection of (this.container as unknown as { connections?: rhea.Connection[] })
      .connections ?? []) {
      for (const link of listSenders(connection)) if (link.partition) yield link;
    }
  }

  private putToken(context: rhea.EventContext, request: rhea.Message): void {
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const audience = text(props.name);
    const refused = refuseToken(
      String(request.body),
      audience,
      this.options.keyName,
      this.options.key,
      this.now() / 1000,
    );
    if (!refused) {
      const connection = context.connection as unknown as { granted?: Set<string> };
      connection.granted ??= new Set();
      const entity = audience
        .replace(/^(sb|amqps?):\/\/[^/]+\/?/i, '')
        .split('/')[0]!
        .toLowerCase();
      connection.granted.add(entity);
    }
    this.reply(context, request, refused ? 401 : 202, refused ?? 'Accepted');
  }

  private manage(context: rhea.EventContext, request: rhea.Message): void {
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const name = text(props.name);
    const partitions = this.hubs.get(name);
    if (!partitions)
      return this.reply(
        context,
        request,
        404,
        `The messaging entity '${name}' could not be found.`,
      );
    if (props.type === 'com.microsoft:eventhub') {
      return this.reply(context, request, 200, 'OK', {
        name,
        created_at: this.created,
        partition_count: partitions.length,
        partition_ids: partitions.map((_, i) => String(i)),
      });
    }
    const partition = partitions[Number(props.partition)];
    if (!partition)
      return this.reply(
        context,
        request,
        404,
        `No partition '${String(props.partition)}' in '${name}'.`,
      );
    const first = partition.events[0];
    const last = partition.last;
    return this.reply(context, request, 200, 'OK', {
      name,
      partition: String(props.partition),
      begin_sequence_number: first?.sequenceNumber ?? 0,
      last_enqueued_sequence_number: last?.sequenceNumber ?? -1,
      last_enqueued_offset: last?.offset ?? '-1',
      last_enqueued_time_utc: new Date(last?.enqueuedTime ?? 0),
      is_partition_empty: partition.events.length === 0,
    });
  }

  private reply(
    context: rhea.EventContext,
    request: rhea.Message,
    status: number,
    description: string,
    body?: unknown,
  ): void {
    const replyTo = request.reply_to;
    const sender =
      listSenders(context.connection).find(
        (s) => (s.target as { address?: string } | undefined)?.address === replyTo,
      ) ??
      listSenders(context.connection).find(
        (s) =>
          (s.source as { address?: string } | undefined)?.address ===
          (context.receiver?.target as { address?: string }).address,
      );
    sender?.send({
      to: replyTo,
      correlation_id: request.message_id,
      application_properties: { 'status-code': status, 'status-description': description },
      body: body ?? null,
    });
    context.delivery?.accept();
  }
}

function listSenders(connection: rhea.Connection): Link[] {
  const sessions =
    (connection as unknown as { local_channel_map?: Record<string, unknown> }).local_channel_map ??
    {};
  const out: Link[] = [];
  for (const session of Object.values(sessions)) {
    const links = (session as { links?: Record<string, rhea.Sender | rhea.Receiver> }).links ?? {};
    for (const link of Object.values(links)) if (link.is_sender()) out.push(link as Link);
  }
  return out;
}

function filterOf(source: unknown): string | null {
  const filter = (source as { filter?: Record<string, unknown> } | undefined)?.filter;
  const value = filter?.['apache.org:selector-filter:string'];
  if (typeof value === 'string') return value;
  const described = value as { value?: unknown } | undefined;
  return typeof described?.value === 'string' ? described.value : null;
}

/** The index of the first event a receiver's filter lets through. */
function startOf(events: readonly StoredEvent[], filter: string | null): number {
  const parsed = filter ? FILTER.exec(filter) : null;
  if (!parsed) return 0;
  const [, field, op, raw] = parsed;
  if (raw === '@latest') return events.length;
  const bound = Number(raw);
  const valueOf = (e: StoredEvent) =>
    field === 'x-opt-enqueued-time' ? e.enqueuedTime : e.sequenceNumber;
  const index = events.findIndex((e) => (op === '>=' ? valueOf(e) >= bound : valueOf(e) > bound));
  return index === -1 ? events.length : index;
}

function unbatch(envelope: rhea.Message): rhea.Message[] {
  const body = envelope.body as { content?: unknown; multiple?: boolean } | undefined;
  const sections = body?.multiple ? (body.content as Buffer[]) : [body?.content as Buffer];
  return sections
    .filter((s) => Buffer.isBuffer(s))
    .map((s) => rhea.message.decode(s) as unknown as rhea.Message);
}

function withAnnotations(event: StoredEvent): rhea.Message {
  const message = rhea.message.decode(event.message) as unknown as rhea.Message;
  message.message_annotations = {
    ...(message.message_annotations ?? {}),
    'x-opt-sequence-number': rhea.types.wrap_long(event.sequenceNumber),
    'x-opt-offset': event.offset,
    'x-opt-enqueued-time': new Date(event.enqueuedTime),
    ...(event.partitionKey === null ? {} : { 'x-opt-partition-key': event.partitionKey }),
  };
  return message;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
