import { describe, expect, it } from 'vitest';
import { applyLivenessEvents } from '../../src/domain/liveness/applyLivenessEvents';
import type { LivenessEvent } from '../../src/domain/liveness/LivenessEvent';
import type { LivenessPolicy, LivenessRecord } from '../../src/domain/liveness/LivenessRecord';
import { seq, t } from '../support/livenessEvents';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};

const activity = (
  at: number,
  over: Partial<Extract<LivenessEvent, { kind: 'activity' }>> = {},
): LivenessEvent => ({
  kind: 'activity',
  deviceId: 'd',
  moduleId: null,
  at: t(at),
  heartbeat: false,
  intervalSeconds: null,
  generationId: null,
  ...over,
});

const lifecycle = (
  op: 'create' | 'delete' | 'status',
  at: number,
  over: Partial<Extract<LivenessEvent, { kind: 'lifecycle' }>> = {},
): LivenessEvent => ({
  kind: 'lifecycle',
  op,
  deviceId: 'd',
  moduleId: null,
  at: t(at),
  generationId: 'g1',
  enabled: op === 'status' ? false : null,
  ...over,
});

const connection = (connected: boolean, at: number, n: number): LivenessEvent => ({
  kind: 'connection',
  connected,
  deviceId: 'd',
  moduleId: null,
  at: t(at),
  sequenceNumber: seq(n),
  generationId: null,
});

/** Applies batches one after another, as the ingest does across deliveries. */
function fold(batches: LivenessEvent[][], start: LivenessRecord | null = null) {
  let record = start;
  const alerts = [];
  for (const batch of batches) {
    const applied = applyLivenessEvents(record, batch, policy);
    record = applied.next ?? record;
    alerts.push(...applied.alerts);
  }
  return { record, alerts };
}

/** A deterministic shuffle (mulberry32), so a failure names the seed that found it. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('applyLivenessEvents', () => {
  it('enrols an identity first heard from as online, due at last seen + interval × grace', () => {
    const { next, alerts } = applyLivenessEvents(null, [activity(10)], policy);
    expect(next).toMatchObject({
      deviceId: 'd',
      state: 'online',
      lastSeen: t(10),
      deadline: t(10 + 60 * 2),
    });
    expect(alerts).toEqual([]);
  });

  it('takes the interval a heartbeat declares, the newest declaration winning', () => {
    const { next } = applyLivenessEvents(
      null,
      [
        activity(20, { heartbeat: true, intervalSeconds: 30 }),
        activity(10, { heartbeat: true, intervalSeconds: 300 }),
      ],
      policy,
    );
    expect(next).toMatchObject({
      declaredIntervalSeconds: 30,
      lastHeartbeat: t(20),
      deadline: t(20 + 30 * 2),
    });
  });

  it('gives the same entry whatever the order, duplicates and batch sizes of the events', () => {
    const events = [
      lifecycle('create', 1),
      activity(5, { heartbeat: true, intervalSeconds: 20 }),
      activity(9),
      connection(true, 4, 1),
      connection(false, 12, 3),
      connection(true, 8, 2),
      activity(15, { heartbeat: true, intervalSeconds: 20 }),
    ];
    const expected = fold([events]).record;
    expect(expected).toMatchObject({ lastSeen: t(15), connectionState: 'disconnected' });
    for (let seed = 1; seed <= 40; seed++) {
      const delivered = shuffled([...events, ...events.slice(0, seed % events.length)], seed);
      const cut = 1 + (seed % (delivered.length - 1));
      const batches = [delivered.slice(0, cut), delivered.slice(cut)];
      expect(fold(batches).record, `seed ${seed}`).toEqual(expected);
    }
  });

  it('answers "no change" for an event already applied', () => {
    const { next: first } = applyLivenessEvents(null, [activity(10)], policy);
    expect(applyLivenessEvents(first!, [activity(10)], policy)).toEqual({
      next: undefined,
      alerts: [],
    });
  });

  it('raises one recovered alert when a silent identity is heard again, with the outage length', () => {
    const online = applyLivenessEvents(null, [activity(10)], policy).next!;
    const silent: LivenessRecord = {
      ...online,
      state: 'silent',
      stateSince: t(130),
      lastSilentAt: t(130),
      silentReason: 'heartbeatMissed',
      deadline: null,
    };
    // Within a delivery, the first activity after the silence ends it; redelivery raises nothing.
    const { record, alerts } = fold(
      [[activity(200), activity(150), activity(200)], [activity(150)], [activity(200)]],
      silent,
    );
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'recovered',
        at: t(150),
        outageSeconds: 140,
        reason: 'heartbeatMissed',
      }),
    ]);
    expect(record).toMatchObject({ state: 'online', silentReason: null, lastSeen: t(200) });
  });

  it('keeps a deleted identity a tombstone that late events of its generation cannot revive', () => {
    const { record } = fold([
      [lifecycle('create', 1), activity(5, { generationId: 'g1' })],
      [lifecycle('delete', 10)],
      [activity(20, { generationId: 'g1' })],
    ]);
    expect(record).toMatchObject({
      deletedAt: t(10),
      state: 'neverSeen',
      lastSeen: null,
      deadline: t(10 + 600),
    });
  });

  it('starts afresh for a newer generation of the same ID, and ignores an older one', () => {
    const { record } = fold([
      [lifecycle('create', 1, { generationId: 'g1' }), activity(5, { generationId: 'g1' })],
      [lifecycle('delete', 10, { generationId: 'g1' })],
      [lifecycle('create', 20, { generationId: 'g2' })],
      [activity(30, { generationId: 'g1' })],
    ]);
    expect(record).toMatchObject({ generationId: 'g2', deletedAt: null, lastSeen: null });
  });

  it('never gives a disabled identity a deadline, so it is never flagged', () => {
    const { record } = fold([
      [lifecycle('create', 1), activity(5)],
      [lifecycle('status', 6, { enabled: false })],
      [activity(7)],
    ]);
    expect(record).toMatchObject({ enabled: false, deadline: null });
  });

  it('counts a connect as activity and a disconnect as not', () => {
    const connected = applyLivenessEvents(null, [connection(true, 10, 1)], policy).next!;
    expect(connected).toMatchObject({ state: 'online', lastSeen: t(10) });
    const dropped = applyLivenessEvents(connected, [connection(false, 50, 2)], policy).next!;
    expect(dropped).toMatchObject({
      lastSeen: t(10),
      connectionState: 'disconnected',
      connectionStateAt: t(50),
    });
  });
});
