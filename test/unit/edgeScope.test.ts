import { describe, expect, it } from 'vitest';
import { deviceIdOfScope, newEdgeScope } from '../../src/domain/identity/edgeScope';
import { newGenerationId, ticksAt } from '../../src/domain/identity/newGenerationId';

const now = new Date('2026-01-02T03:04:05.678Z');
const UNIX_EPOCH_TICKS = 621355968000000000n;

describe('newEdgeScope', () => {
  it('has the form ms-azure-iot-edge://{deviceId}-{digits}', () => {
    expect(newEdgeScope('edge1', now)).toMatch(/^ms-azure-iot-edge:\/\/edge1-\d+$/);
  });

  it('carries the ticks of the instant it was made', () => {
    const digits = BigInt(newEdgeScope('edge1', now).split('-').pop() as string);
    const ticks = ticksAt(now);
    expect(digits >= ticks && digits < ticks + 10_000n).toBe(true);
  });

  it.each(['edge-1', 'a-b-c', 'dev-123', '-x', 'x-', "a:b.c%d_e*f?g!h(i)j,k=l@m;n$o'p"])(
    'round-trips the device ID %j through deviceIdOfScope',
    (id) => {
      expect(deviceIdOfScope(newEdgeScope(id, now))).toBe(id);
    },
  );
});

describe('deviceIdOfScope', () => {
  it('reads the device ID of an IoT Hub-made scope', () => {
    expect(deviceIdOfScope('ms-azure-iot-edge://my-edge-637000000000000000')).toBe('my-edge');
  });

  it.each([
    ['an empty string', ''],
    ['a foreign string', 'not a scope'],
    ['another scheme', 'https://edge1-637000000000000000'],
    ['an uppercase prefix', 'MS-AZURE-IOT-EDGE://edge1-637000000000000000'],
    ['a prefix only', 'ms-azure-iot-edge://'],
    ['no ticks', 'ms-azure-iot-edge://edge1'],
    ['an empty ticks part', 'ms-azure-iot-edge://edge1-'],
    ['non-digit ticks', 'ms-azure-iot-edge://edge1-12a4'],
    ['no device ID', 'ms-azure-iot-edge://-637000000000000000'],
    ['a leading space', ' ms-azure-iot-edge://edge1-637000000000000000'],
  ])('returns null for %s', (_what, scope) => {
    expect(deviceIdOfScope(scope)).toBeNull();
  });
});

describe('ticksAt', () => {
  it('counts .NET ticks (100 ns since 0001-01-01)', () => {
    expect(ticksAt(new Date(0))).toBe(UNIX_EPOCH_TICKS);
    expect(ticksAt(new Date(1))).toBe(UNIX_EPOCH_TICKS + 10_000n);
    expect(ticksAt(new Date('2001-01-01T00:00:00Z'))).toBe(631139040000000000n);
  });
});

describe('newGenerationId', () => {
  it('is a string of digits within the millisecond it was made', () => {
    const id = newGenerationId(now);
    expect(id).toMatch(/^\d+$/);
    expect(id).toHaveLength(18);
    const value = BigInt(id);
    expect(value >= ticksAt(now) && value < ticksAt(now) + 10_000n).toBe(true);
  });

  it('differs between calls at the same instant', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newGenerationId(now)));
    expect(ids.size).toBeGreaterThanOrEqual(990);
  });

  it('grows with time', () => {
    let previous = BigInt(newGenerationId(now));
    for (let ms = 1; ms <= 200; ms++) {
      const next = BigInt(newGenerationId(new Date(now.getTime() + ms)));
      expect(next > previous).toBe(true);
      previous = next;
    }
    const aYearLater = BigInt(newGenerationId(new Date('2027-01-02T03:04:05.678Z')));
    expect(aYearLater > previous).toBe(true);
  });
});
