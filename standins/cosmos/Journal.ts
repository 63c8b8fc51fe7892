import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';

/** One committed change: written whole or, after a crash mid-write, not at all. */
export type JournalRecord = Record<string, unknown>;

const HEADER_BYTES = 8;

/** Length and CRC32 of the JSON payload, then the payload: a torn or flipped frame is detected. */
export function frame(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/**
 * Reads frames until the end, or until one is incomplete or does not check out. Only a bad
 * frame at the very end is a torn write (the process died mid-append); `goodBytes` says where
 * the intact prefix ends, and `corruptAt` is set when a bad frame has intact frames after it.
 */
export function readFrames(bytes: Buffer): {
  records: JournalRecord[];
  goodBytes: number;
  corruptAt: number | null;
} {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(at + HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) {
      // A flipped frame followed by a well-formed one is corruption, not a torn tail.
      return { records, goodBytes: at, corruptAt: hasFrameAfter(bytes, end) ? at : null };
    }
    records.push(JSON.parse(payload.toString('utf8')) as JournalRecord);
    at = end;
  }
  return { records, goodBytes: at, corruptAt: null };
}

function hasFrameAfter(bytes: Buffer, at: number): boolean {
  if (at + HEADER_BYTES > bytes.length) return false;
  const length = bytes.readUInt32LE(at);
  const end = at + HEADER_BYTES + length;
  return (
    end <= bytes.length &&
    crc32(bytes.subarray(at + HEADER_BYTES, end)) === bytes.readUInt32LE(at + 4)
  );
}

export interface JournalFiles {
  snapshot: string;
  journal: string;
}

export const journalFiles = (dir: string): JournalFiles => ({
  snapshot: join(dir, 'snapshot.bin'),
  journal: join(dir, 'journal.bin'),
});

/**
 * The append-only journal: records are buffered as they happen and written with one write and
 * one fdatasync per turn of the event loop (group commit). `durable()` resolves once everything
 * appended before the call is on disk, or rejects when the disk refused it.
 */
export class Journal {
  private pending: Buffer[] = [];
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private scheduled = false;
  private fd: number;
  private bytes: number;

  constructor(
    private readonly files: JournalFiles,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.fd = openSync(files.journal, 'a');
    this.bytes = statSync(files.journal).size;
  }

  get size(): number {
    return this.bytes;
  }

  append(record: JournalRecord): void {
    this.pending.push(frame(record));
    this.schedule();
  }

  durable(): Promise<void> {
    if (this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Replaces the history with a snapshot of the live state: written aside, then renamed in. */
  compact(state: Iterable<JournalRecord>): void {
    this.flush();
    const tmp = `${this.files.snapshot}.tmp`;
    const fd = openSync(tmp, 'w');
    let chunk: Buffer[] = [];
    let size = 0;
    for (const record of state) {
      const f = frame(record);
      chunk.push(f);
      size += f.length;
      if (size > 1 << 20) {
        writeSync(fd, Buffer.concat(chunk));
        chunk = [];
        size = 0;
      }
    }
    writeSync(fd, Buffer.concat(chunk));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.files.snapshot);
    truncateSync(this.files.journal, 0);
    fsyncSync(this.fd);
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = [];
    const data = Buffer.concat(this.pending);
    this.pending = [];
    try {
      if (data.length > 0) {
        writeSync(this.fd, data);
        fdatasyncSync(this.fd);
        this.bytes += data.length;
      }
    } catch (error) {
      // Whatever part of the group reached the file is cut off again, so the file holds only
      // what was acknowledged; the owner reloads its state from it.
      try {
        truncateSync(this.files.journal, this.bytes);
      } catch {
        // the file is as good as the next start's torn-tail check makes it
      }
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const w of waiting) w.reject(failure);
      this.onFailure(failure);
      return;
    }
    for (const w of waiting) w.resolve();
  }
}

/** Reads snapshot then journal; cuts a torn tail off the journal, refuses corruption. */
export function loadJournal(files: JournalFiles, warn: (message: string) => void): JournalRecord[] {
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    }
  };
  const snapshot = readFrames(read(files.snapshot));
  if (snapshot.goodBytes !== read(files.snapshot).length)
    throw new Error(`The snapshot ${files.snapshot} is damaged at byte ${snapshot.goodBytes}`);
  const bytes = read(files.journal);
  const journal = readFrames(bytes);
  if (journal.corruptAt !== null)
    throw new Error(
      `The journal ${files.journal} is corrupt at byte ${journal.corruptAt}: restore it from a backup or remove it`,
    );
  if (journal.goodBytes < bytes.length) {
    warn(
      `Dropped a torn last record (${bytes.length - journal.goodBytes} bytes) from ${files.journal}`,
    );
    truncateSync(files.journal, journal.goodBytes);
  }
  return [...snapshot.records, ...journal.records];
}
