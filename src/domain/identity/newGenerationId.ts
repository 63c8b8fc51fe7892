import { randomInt } from 'node:crypto';

// .NET ticks (100 ns since 0001-01-01), the form IoT Hub uses for generation IDs and scopes.
const EPOCH_TICKS = 621355968000000000n;

export function ticksAt(now: Date): bigint {
  return EPOCH_TICKS + BigInt(now.getTime()) * 10000n;
}

let lastIssued = 0n;

/**
 * New at every re-create of an ID: ticks plus a random sub-millisecond part (so instances do
 * not collide), and strictly increasing within a process (so a delete and re-create in the same
 * millisecond still get different generations).
 */
export function newGenerationId(now: Date): string {
  const candidate = ticksAt(now) + BigInt(randomInt(10000));
  lastIssued = candidate > lastIssued ? candidate : lastIssued + 1n;
  return lastIssued.toString();
}
