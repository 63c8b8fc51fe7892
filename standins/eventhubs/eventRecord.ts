import { crc32 } from 'node:zlib';

/** Length and CRC32 of the payload, ahead of it: a torn or flipped record is detected. */
const FRAME_HEADER_BYTES = 8;
/** Sequence number (i64), enqueued time (f64 ms), partition key length (u16, 0xffff = none). */
const FIXED_BYTES = 18;
const NO_KEY = 0xffff;

/** One accepted event as a segment keeps it; `message` is the AMQP message receivers get. */
export interface EventRecord {
  sequenceNumber: number;
  enqueuedTime: number;
  partitionKey: string | null;
  message: Buffer;
}

/** Where a record's message lies in its segment file, so it can be read back on its own. */
export interface FramedRecord extends Omit<EventRecord, 'message'> {
  /** Where the frame starts in the file. */
  position: number;
  messageStart: number;
  messageLength: number;
}

export function frameRecord(record: EventRecord): Buffer {
  const key = record.partitionKey === null ? null : Buffer.from(record.partitionKey, 'utf8');
  if (key && key.length >= NO_KEY) throw new RangeError('The partition key is too long');
  const payload = Buffer.allocUnsafe(FIXED_BYTES + (key?.length ?? 0) + record.message.length);
  payload.writeBigInt64LE(BigInt(record.sequenceNumber), 0);
  payload.writeDoubleLE(record.enqueuedTime, 8);
  payload.writeUInt16LE(key?.length ?? NO_KEY, 16);
  key?.copy(payload, FIXED_BYTES);
  record.message.copy(payload, FIXED_BYTES + (key?.length ?? 0));
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** Where the message of a frame written at `position` will start (for `FramedRecord`). */
export function messageStartOf(position: number, partitionKey: string | null): number {
  const keyBytes = partitionKey === null ? 0 : Buffer.byteLength(partitionKey, 'utf8');
  return position + FRAME_HEADER_BYTES + FIXED_BYTES + keyBytes;
}

/**
 * Reads the frames of `bytes` from `from` on. Stops at the first frame that is incomplete or
 * does not check out: `end` is where the intact prefix ends, so a torn tail can be cut off.
 */
export function readRecords(
  bytes: Buffer,
  from: number,
): { records: FramedRecord[]; end: number; damaged: boolean } {
  const records: FramedRecord[] = [];
  let at = from;
  while (at < bytes.length) {
    if (at + FRAME_HEADER_BYTES > bytes.length) return { records, end: at, damaged: true };
    const length = bytes.readUInt32LE(at);
    const start = at + FRAME_HEADER_BYTES;
    const end = start + length;
    if (length < FIXED_BYTES || end > bytes.length) return { records, end: at, damaged: true };
    const payload = bytes.subarray(start, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) return { records, end: at, damaged: true };
    const keyLength = payload.readUInt16LE(16);
    const keyBytes = keyLength === NO_KEY ? 0 : keyLength;
    if (FIXED_BYTES + keyBytes > length) return { records, end: at, damaged: true };
    records.push({
      sequenceNumber: Number(payload.readBigInt64LE(0)),
      enqueuedTime: payload.readDoubleLE(8),
      partitionKey:
        keyLength === NO_KEY
          ? null
          : payload.toString('utf8', FIXED_BYTES, FIXED_BYTES + keyLength),
      position: at,
      messageStart: start + FIXED_BYTES + keyBytes,
      messageLength: length - FIXED_BYTES - keyBytes,
    });
    at = end;
  }
  return { records, end: at, damaged: false };
}
