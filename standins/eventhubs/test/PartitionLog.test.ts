import { appendFileSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PartitionLog, type PartitionLogOptions, type Placement } from '../PartitionLog';
import { temporaryDir } from './brokerFixture';

const HOUR = 3_600_000;

function open(dir: string, options: Partial<PartitionLogOptions> = {}) {
  const warnings: string[] = [];
  const log = new PartitionLog(dir, {
    segmentBytes: 1024 * 1024,
    retentionMs: 24 * HOUR,
    segmentMaxAgeMs: HOUR,
    now: Date.now,
    // What the broker stamps is its business; here the placement is kept readable.
    stamp: (message: Buffer, p: Placement) =>
      Buffer.concat([Buffer.from(`${p.sequenceNumber}@${p.offset}:`), message]),
    warn: (m) => warnings.push(m),
    ...options,
  });
  onTestFinished(() => log.close());
  return { log, warnings };
}

const messages = (...texts: string[]) => texts.map((t) => Buffer.from(t));
const contents = (log: PartitionLog) => {
  const out: string[] = [];
  for (let s = log.beginSequence; s < log.nextSequence; s++)
    out.push(log.read(log.eventAt(s)!).toString());
  return out;
};
const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg'));

describe('a partition log', () => {
  it('continues its sequence numbers and offsets after a restart', async () => {
    const dir = temporaryDir();
    const first = open(dir).log;
    await first.append(messages('a', 'b'), 'key');
    await first.append(messages('c'), null);
    const offsets = [0, 1, 2].map((s) => first.eventAt(s)!.offset);
    await first.close();
    const { log } = open(dir);
    expect(contents(log)).toEqual([`0@${offsets[0]}:a`, `1@${offsets[1]}:b`, `2@${offsets[2]}:c`]);
    expect(log.eventAt(1)!.partitionKey).toBe('key');
    expect(log.eventAt(2)!.partitionKey).toBeNull();
    await log.append(messages('d'), null);
    expect(log.lastEvent!.sequenceNumber).toBe(3);
    expect(log.lastEvent!.offset).toBeGreaterThan(offsets[2]!);
  });

  it('drops a torn tail at start, with a warning, and writes on after the intact part', async () => {
    const dir = temporaryDir();
    const first = open(dir).log;
    await first.append(messages('a', 'b', 'c'), null);
    await first.close();
    const [file] = segments(dir);
    const intact = statSync(join(dir, file!)).size;
    // Half a frame: a length that promises more than is there, as a write cut by a kill.
    appendFileSync(join(dir, file!), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const { log, warnings } = open(dir);
    expect(warnings).toEqual([expect.stringMatching(/torn tail of 7 bytes/)]);
    expect(statSync(join(dir, file!)).size).toBe(intact);
    expect(contents(log).map((c) => c.split(':')[1])).toEqual(['a', 'b', 'c']);
    await log.append(messages('d'), null);
    await log.close();
    expect(contents(open(dir).log).map((c) => c.split(':')[1])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses to start on a damaged record before the last segment', async () => {
    const dir = temporaryDir();
    const first = open(dir, { segmentBytes: 100 }).log;
    for (let i = 0; i < 5; i++) await first.append(messages(`event number ${i}`), null);
    await first.close();
    const [oldest] = segments(dir).sort();
    const path = join(dir, oldest!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 2]! ^= 0xff;
    writeFileSync(path, bytes);
    expect(() => open(dir, { segmentBytes: 100 })).toThrow(/damaged record at byte \d+/);
  });

  it('finds where a receiver starts, by sequence number, offset or time', async () => {
    let now = 1_000;
    const { log } = open(temporaryDir(), { now: () => now });
    for (const text of ['a', 'b', 'c']) {
      now += 10;
      await log.append(messages(text), null);
    }
    const offset = log.eventAt(1)!.offset;
    expect(log.startOf({ kind: 'offset', value: -1, inclusive: false })).toBe(0);
    expect(log.startOf({ kind: 'latest' })).toBe(3);
    expect(log.startOf({ kind: 'sequenceNumber', value: 1, inclusive: false })).toBe(2);
    expect(log.startOf({ kind: 'sequenceNumber', value: 1, inclusive: true })).toBe(1);
    expect(log.startOf({ kind: 'offset', value: offset, inclusive: false })).toBe(2);
    expect(log.startOf({ kind: 'offset', value: offset, inclusive: true })).toBe(1);
    expect(log.startOf({ kind: 'enqueuedTime', value: 1_020, inclusive: false })).toBe(2);
    expect(log.startOf({ kind: 'sequenceNumber', value: 2, inclusive: false })).toBe(3);
    expect(log.startOf({ kind: 'sequenceNumber', value: 7, inclusive: false })).toBeInstanceOf(
      RangeError,
    );
  });

  it('drops whole segments past the retention, and keeps counting after all are gone', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const dir = temporaryDir();
    const options = { now: () => now, segmentBytes: 50, retentionMs: 2 * HOUR };
    const first = open(dir, options).log;
    for (let i = 0; i < 6; i++) await first.append(messages(`old event ${i}`), null);
    const oldSegments = segments(dir).length;
    expect(oldSegments).toBeGreaterThan(2);
    now += HOUR;
    await first.append(messages('newer'), null);
    now += 1.5 * HOUR;
    first.enforceRetention();
    // The old events are 2.5 hours old, the newer one 1.5: only its segment is left.
    expect(first.beginSequence).toBe(6);
    expect(contents(first).map((c) => c.split(':')[1])).toEqual(['newer']);
    expect(segments(dir).length).toBeLessThan(oldSegments);
    now += 2 * HOUR;
    first.enforceRetention();
    expect(first.beginSequence).toBe(7);
    expect(first.nextSequence).toBe(7);
    expect(segments(dir)).toHaveLength(1);
    const nextOffset = first.eventAt(6)?.offset;
    expect(nextOffset).toBeUndefined();
    await first.close();
    const { log } = open(dir, options);
    expect(log.beginSequence).toBe(7);
    await log.append(messages('after'), null);
    expect(log.lastEvent!.sequenceNumber).toBe(7);
    expect(contents(log).map((c) => c.split(':')[1])).toEqual(['after']);
  });

  it('closes a quiet segment once it is old, so it can expire', async () => {
    let now = 0;
    const dir = temporaryDir();
    const { log } = open(dir, { now: () => now, retentionMs: 3 * HOUR, segmentMaxAgeMs: HOUR });
    await log.append(messages('a'), null);
    now += HOUR;
    log.enforceRetention();
    expect(segments(dir)).toHaveLength(2);
    await log.append(messages('b'), null);
    now += 2.5 * HOUR;
    log.enforceRetention();
    expect(contents(log).map((c) => c.split(':')[1])).toEqual(['b']);
  });
});
