import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { frameRecord, messageStartOf } from './eventRecord';
import { isSegmentFile, Segment } from './Segment';
import type { StartPosition } from './startPosition';

/** Where an event lands: assigned when its group is written, in arrival order. */
export interface Placement {
  sequenceNumber: number;
  offset: number;
  enqueuedTime: number;
  partitionKey: string | null;
}

/** An event of the partition; its message stays on disk until a receiver needs it. */
export interface IndexedEvent extends Placement {
  segment: Segment;
  messageStart: number;
  messageLength: number;
}

export interface PartitionLogOptions {
  /** A segment that reached this size is closed and a new one started. */
  segmentBytes: number;
  /** Segments whose newest event is older than this are dropped. */
  retentionMs: number;
  /** The active segment is closed once its oldest event is this old, so it can expire too. */
  segmentMaxAgeMs: number;
  now: () => number;
  /** Makes the stored message from the one sent, once its placement is known. */
  stamp: (message: Buffer, placement: Placement) => Buffer;
  warn: (message: string) => void;
}

interface PendingAppend {
  messages: readonly Buffer[];
  partitionKey: string | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * One partition: append-only segment files in a directory of its own, and an index of their
 * events in memory. Appends wait for the group being written, then go down together in one
 * write and one fdatasync (group commit); only then do their events exist for anyone: they
 * are counted, visible to receivers and acknowledged. So a crash never takes back an event
 * someone saw, and a restart continues the same sequence numbers and offsets.
 */
export class PartitionLog {
  private readonly segments: Segment[] = [];
  private readonly events: IndexedEvent[] = [];
  private queue: PendingAppend[] = [];
  /** A group is being written; cleared before its appends are settled. */
  private writing = false;
  private written: Promise<void> = Promise.resolve();
  private rollRequested = false;
  private closed = false;
  private lastEnqueuedTime = 0;
  /** Called whenever events became durable, and so readable. */
  onAppended: () => void = () => undefined;

  constructor(
    private readonly dir: string,
    private readonly options: PartitionLogOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir).sort();
    for (const name of names)
      if (name.endsWith('.seg.tmp')) rmSync(join(dir, name), { force: true });
    const segmentNames = names.filter(isSegmentFile);
    segmentNames.forEach((name, i) => {
      const { segment, records } = Segment.load(
        join(dir, name),
        i === segmentNames.length - 1,
        options.warn,
      );
      const previous = this.segments.at(-1);
      if (
        previous &&
        (previous.nextSequence !== segment.baseSequence ||
          previous.nextOffset !== segment.baseOffset)
      )
        throw new Error(`${segment.path} does not continue the segment before it`);
      this.segments.push(segment);
      for (const r of records)
        this.events.push({ ...r, offset: segment.offsetAt(r.position), segment });
    });
    this.lastEnqueuedTime = this.events.at(-1)?.enqueuedTime ?? 0;
    if (this.segments.length === 0) this.segments.push(Segment.create(dir, 0, 0));
  }

  private get active(): Segment {
    return this.segments.at(-1)!;
  }

  /** The first event still kept, or the next one when none is. */
  get beginSequence(): number {
    return this.events[0]?.sequenceNumber ?? this.nextSequence;
  }

  get nextSequence(): number {
    return this.active.nextSequence;
  }

  get lastEvent(): IndexedEvent | undefined {
    return this.events.at(-1);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  eventAt(sequenceNumber: number): IndexedEvent | undefined {
    const first = this.events[0];
    return first ? this.events[sequenceNumber - first.sequenceNumber] : undefined;
  }

  read(event: IndexedEvent): Buffer {
    return event.segment.read(event.messageStart, event.messageLength);
  }

  /**
   * The sequence number a receiver starts at. A sequence number past the end is refused, as
   * the service does: a consumer ahead of the log means the log lost what it had acknowledged.
   */
  startOf(position: StartPosition): number | Error {
    const next = this.nextSequence;
    if (position.kind === 'latest') return next;
    if (position.kind === 'sequenceNumber') {
      const first = position.inclusive ? position.value : position.value + 1;
      if (first > next)
        return new RangeError(
          `The supplied sequence number '${position.value}' is invalid. The last sequence number in the system is '${next - 1}'.`,
        );
      return Math.max(first, this.beginSequence);
    }
    const valueOf = (e: IndexedEvent) => (position.kind === 'offset' ? e.offset : e.enqueuedTime);
    // Offsets and enqueued times rise with sequence numbers: binary search.
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const v = valueOf(this.events[mid]!);
      if (position.inclusive ? v >= position.value : v > position.value) high = mid;
      else low = mid + 1;
    }
    return this.events[low]?.sequenceNumber ?? next;
  }

  /** Resolves once the messages are on disk (and readable), all on this partition, in order. */
  append(messages: readonly Buffer[], partitionKey: string | null): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The partition is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, partitionKey, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.written = this.writeAll();
      }
    });
  }

  /**
   * Drops every segment whose events are all older than the retention. The active segment is
   * closed first when it is old enough, so a quiet partition expires too.
   */
  enforceRetention(): void {
    const now = this.options.now();
    const horizon = now - this.options.retentionMs;
    const oldestActive = this.eventAt(this.active.baseSequence);
    if (
      oldestActive &&
      (this.lastEvent!.enqueuedTime < horizon ||
        now - oldestActive.enqueuedTime >= this.options.segmentMaxAgeMs)
    ) {
      if (this.writing) this.rollRequested = true;
      else this.roll();
    }
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const newest = this.events[oldest.count - 1];
      if (newest && newest.enqueuedTime >= horizon) break;
      this.segments.shift();
      this.events.splice(0, oldest.count);
      oldest.remove();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.written;
    for (const segment of this.segments) segment.close();
  }

  /** Writes group after group while appends keep coming (group commit). */
  private async writeAll(): Promise<void> {
    for (;;) {
      const group = this.queue.splice(0);
      const failure = await this.write(group);
      if (this.queue.length === 0) this.writing = false;
      for (const pending of group) {
        if (failure) pending.reject(failure);
        else pending.resolve();
      }
      if (!failure) this.onAppended();
      if (!this.writing) return;
    }
  }

  /** Writes one group; its events are indexed only once they are on disk. */
  private async write(group: PendingAppend[]): Promise<Error | null> {
    const added: IndexedEvent[] = [];
    try {
      if (this.rollRequested || this.active.size >= this.options.segmentBytes) this.roll();
      const segment = this.active;
      // Enqueued times never go back, so a time position finds events in order.
      const enqueuedTime = Math.max(this.options.now(), this.lastEnqueuedTime);
      const parts: Buffer[] = [];
      let position = segment.size;
      let sequenceNumber = segment.nextSequence;
      for (const { messages, partitionKey } of group) {
        for (const sent of messages) {
          const placement = {
            sequenceNumber,
            offset: segment.offsetAt(position),
            enqueuedTime,
            partitionKey,
          };
          const message = this.options.stamp(sent, placement);
          const frame = frameRecord({ ...placement, message });
          added.push({
            ...placement,
            segment,
            messageStart: messageStartOf(position, partitionKey),
            messageLength: message.length,
          });
          parts.push(frame);
          position += frame.length;
          sequenceNumber++;
        }
      }
      await segment.append(Buffer.concat(parts), added.length);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    for (const event of added) this.events.push(event);
    this.lastEnqueuedTime = added.at(-1)?.enqueuedTime ?? this.lastEnqueuedTime;
    return null;
  }

  /** Starts a new segment; the old one stays open for readers until retention drops it. */
  private roll(): void {
    const active = this.active;
    this.segments.push(Segment.create(this.dir, active.nextSequence, active.nextOffset));
    this.rollRequested = false;
  }
}
