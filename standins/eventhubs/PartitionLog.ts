import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, loadJournal } from '../cosmos/Journal';

/** One stored event: its broker-assigned position and the encoded AMQP message. */
export interface StoredEvent {
  sequenceNumber: number;
  offset: string;
  enqueuedTime: number;
  partitionKey: string | null;
  message: Buffer;
}

/**
 * A partition: events in arrival order, appended to a journal of its own (fsynced before the
 * sender is told the event is accepted), so a restart continues the same sequence numbers.
 * Events older than the retention are dropped at start.
 */
export class PartitionLog {
  readonly events: StoredEvent[] = [];
  private readonly journal: Journal | null;

  constructor(
    dir: string | undefined,
    retentionMs: number,
    now: number,
    warn: (m: string) => void,
  ) {
    if (!dir) {
      this.journal = null;
      return;
    }
    mkdirSync(dir, { recursive: true });
    const files = { journal: join(dir, 'events.bin'), snapshot: join(dir, 'retained.bin') };
    const records =
      existsSync(files.journal) || existsSync(files.snapshot) ? loadJournal(files, warn) : [];
    for (const r of records) {
      const e = {
        ...(r as unknown as StoredEvent),
        message: Buffer.from(r.message as string, 'base64'),
      };
      if (now - e.enqueuedTime <= retentionMs) this.events.push(e);
    }
    this.journal = new Journal(files, (error) =>
      warn(`An event partition could not be written: ${error.message}`),
    );
    if (records.length > this.events.length) this.journal.compact(this.events.map(toRecord));
  }

  get last(): StoredEvent | undefined {
    return this.events.at(-1);
  }

  append(message: Buffer, partitionKey: string | null, now: number): StoredEvent {
    const sequenceNumber = (this.last?.sequenceNumber ?? -1) + 1;
    const event = {
      sequenceNumber,
      offset: String(sequenceNumber),
      enqueuedTime: now,
      partitionKey,
      message,
    };
    this.events.push(event);
    this.journal?.append(toRecord(event));
    return event;
  }

  durable(): Promise<void> {
    return this.journal?.durable() ?? Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.journal?.close();
  }

  private closed = false;
}

const toRecord = (e: StoredEvent) => ({ ...e, message: e.message.toString('base64') });
