import { randomInt } from 'node:crypto';

// .NET ticks (100 ns since 0001-01-01), the form IoT Hub uses for generation IDs and scopes.
const EPOCH_TICKS = 621355968000000000n;

export function ticksAt(now: Date): bigint {
  return EPOCH_TICKS + BigInt(now.getTime()) * 10000n;
}

/** Unique per re-create of an ID: ticks plus a random sub-millisecond part. */
export function newGenerationId(now: Date): string {
  return (ticksAt(now) + BigInt(randomInt(10000))).toString();
}
