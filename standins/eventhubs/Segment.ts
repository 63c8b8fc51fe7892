import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  write,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { readRecords, type FramedRecord } from './eventRecord';

const MAGIC = Buffer.from('EHSEG001', 'ascii');
/** Magic, then the sequence number and offset of the segment's first event (i64 each). */
export const SEGMENT_HEADER_BYTES = 24;
const SEGMENT_NAME = /^(\d{20})\.seg$/;

const writeAt = promisify(write);
const syncData = promisify(fdatasync);

export const isSegmentFile = (name: string): boolean => SEGMENT_NAME.test(name);

/**
 * One append-only file of a partition. Its header says where it continues the partition's
 * sequence numbers and offsets, so even an empty segment (all older ones dropped by retention)
 * carries them across a restart. An event's offset is its frame's place in the partition's
 * byte stream: the segment's base offset plus the frame's position after the header.
 */
export class Segment {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly baseSequence: number,
    readonly baseOffset: number,
    private readonly fd: number,
    /** Bytes on disk, all of them intact and durable. */
    public size: number,
    /** Events in it. */
    public count: number,
  ) {}

  /** A new, empty segment: written aside, fsynced, renamed in, and the directory fsynced. */
  static create(dir: string, baseSequence: number, baseOffset: number): Segment {
    const path = join(dir, `${String(baseOffset).padStart(20, '0')}.seg`);
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeBigInt64LE(BigInt(baseSequence), 8);
    header.writeBigInt64LE(BigInt(baseOffset), 16);
    const aside = `${path}.tmp`;
    const fd = openSync(aside, 'w');
    try {
      writeSync(fd, header);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(aside, path);
    syncDirectory(dir);
    return new Segment(path, baseSequence, baseOffset, openSync(path, 'r+'), header.length, 0);
  }

  /**
   * Opens a segment and reads its records. Only the last segment may end in a damaged record
   * (a write torn by a crash, never acknowledged): it is cut off with a warning. Anywhere else a
   * bad record is corruption, and the start stops with the file and byte offset.
   */
  static load(
    path: string,
    isLast: boolean,
    warn: (message: string) => void,
  ): { segment: Segment; records: FramedRecord[] } {
    const bytes = readFileSync(path);
    if (bytes.length < SEGMENT_HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
      throw new Error(`${path} is not an event segment (bad header)`);
    const baseSequence = Number(bytes.readBigInt64LE(8));
    const baseOffset = Number(bytes.readBigInt64LE(16));
    const { records, end, damaged } = readRecords(bytes, SEGMENT_HEADER_BYTES);
    if (damaged && !isLast) throw new Error(`${path}: damaged record at byte ${end}`);
    records.forEach((record, i) => {
      if (record.sequenceNumber !== baseSequence + i)
        throw new Error(`${path}: record at byte ${record.position} is out of sequence`);
    });
    const fd = openSync(path, 'r+');
    if (damaged) {
      warn(
        `${basename(dirname(path))}/${basename(path)}: dropped a torn tail of ${bytes.length - end} bytes at byte ${end}`,
      );
      ftruncateSync(fd, end);
      fdatasyncSync(fd);
    }
    return {
      segment: new Segment(path, baseSequence, baseOffset, fd, end, records.length),
      records,
    };
  }

  get nextSequence(): number {
    return this.baseSequence + this.count;
  }

  offsetAt(position: number): number {
    return this.baseOffset + position - SEGMENT_HEADER_BYTES;
  }

  get nextOffset(): number {
    return this.offsetAt(this.size);
  }

  /** Writes frames at the end and fdatasyncs; on failure cuts the file back, as if never tried. */
  async append(frames: Buffer, count: number): Promise<void> {
    try {
      await writeAt(this.fd, frames, 0, frames.length, this.size);
      await syncData(this.fd);
    } catch (error) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The file is as broken as the disk; the next start cuts its tail.
      }
      throw error;
    }
    this.size += frames.length;
    this.count += count;
  }

  read(start: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.fd, buffer, done, length - done, start + done);
      if (read === 0) throw new Error(`${this.path}: no event at byte ${start}`);
      done += read;
    }
    return buffer;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
