import { describe, expect, it } from 'vitest';
import { InMemoryLivenessStore } from '../fakes/InMemoryLivenessStore';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import { applyLivenessEvents } from '../../src/domain/liveness/applyLivenessEvents';
import { connectionViewOf } from '../../src/domain/liveness/connectionViewOf';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import type { LivenessEvent } from '../../src/domain/liveness/LivenessEvent';
import type { LivenessPolicy } from '../../src/domain/liveness/LivenessRecord';
import { parseConnectionSequence } from '../../src/domain/liveness/parseConnectionSequence';
import { parseLivenessEvent } from '../../src/domain/liveness/parseLivenessEvent';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import type { ConnectionChange } from '../../src/ports/ConnectionMirror';
import { silentLogger } from '../../src/ports/Logger';
import {
  connectionState,
  digitalTwinChange,
  lifecycle,
  seq,
  t,
  telemetry,
  twinChange,
} from '../support/livenessEvents';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
  disconnectGraceSeconds: 30,
};

const event = (raw: RawEvent): LivenessEvent => {
  const parsed = parseLivenessEvent(raw);
  if (!parsed.ok) throw new Error(`not parsed: ${parsed.reason}`);
  return parsed.event;
};

/** The ingest and the sweep over the in-memory store, with a clock the test moves. */
function monitor(over: Partial<LivenessPolicy> = {}) {
  const store = new InMemoryLivenessStore();
  const published: LivenessAlert[] = [];
  const mirrored: ConnectionChange[] = [];
  const mirror = {
    apply: (c: readonly ConnectionChange[]) => (mirrored.push(...c), Promise.resolve()),
  };
  const alerts = new AlertRelay(
    store,
    { publish: (a) => (published.push(...a), Promise.resolve()) },
    silentLogger,
    mirror,
  );
  const used = { ...policy, ...over };
  let now = new Date(t(0));
  const clock = { now: () => now };
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
  const ingest = new LivenessIngest(store, used, logger, alerts, clock, 1000, mirror);
  const sweep = new LivenessSweep(
    store,
    new PipelineMonitor(store, undefined, 120),
    alerts,
    used,
    silentLogger,
  );
  return {
    store,
    published,
    mirrored,
    warnings,
    ingest: (events: RawEvent[]) => ingest.ingest(events, '0'),
    skips: ingest.skips,
    sweepAt: (seconds: number) => sweep.sweep((now = new Date(t(seconds)))),
    entry: async (deviceId: string, moduleId: string | null = null) =>
      (await store.readMany([{ deviceId, moduleId }])).get(`${deviceId}\u0000${moduleId ?? ''}`)
        ?.record,
  };
}

describe('reading the streams IoT Hub routes', () => {
  it('reads each source as the hub writes it', () => {
    expect(event(telemetry('d', t(1)))).toMatchObject({ kind: 'activity', heartbeat: true });
    expect(
      event(lifecycle('createDeviceIdentity', 'd', t(1), { generationId: '7' })),
    ).toMatchObject({ kind: 'lifecycle', op: 'create', generationId: '7' });
    expect(event(connectionState('deviceConnected', 'd', t(2), seq(1)))).toEqual({
      kind: 'connection',
      connected: true,
      deviceId: 'd',
      moduleId: null,
      at: t(2),
      sequenceNumber: seq(1),
      generationId: null,
    });
    expect(
      event(connectionState('deviceDisconnected', 'd', t(3), seq(2), { moduleId: 'm' })),
    ).toMatchObject({ kind: 'connection', connected: false, moduleId: 'm' });
    // The documented body, byte for byte, as a string too.
    expect(
      event({
        ...connectionState('deviceConnected', 'd', t(2), seq(1)),
        body: '{"sequenceNumber":"000000000000000001D4132452F67CE200000002000000000000000000000001"}',
      }),
    ).toMatchObject({ sequenceNumber: seq(1) });
    expect(event(twinChange('d', t(4), { reported: { fw: '1.2' } }))).toMatchObject({
      kind: 'twinChange',
      reported: true,
    });
    expect(event(twinChange('d', t(4), { desired: { fw: '1.3' } }))).toMatchObject({
      reported: false,
    });
    expect(event(twinChange('d', t(4), { tags: { site: 'a' } }))).toMatchObject({
      reported: false,
    });
    // Replacing a twin is the back end's (tags, desired), whatever its body repeats.
    expect(
      event(twinChange('d', t(4), { reported: { fw: '1.2' } }, { opType: 'replaceTwin' })),
    ).toMatchObject({ reported: false });
    expect(event(digitalTwinChange('d', t(5)))).toMatchObject({ kind: 'digitalTwinChange' });
    // As a plain producer sends them: the hub's properties as application properties only.
    const plain = connectionState('deviceDisconnected', 'd', t(3), seq(2));
    expect(
      event({
        ...plain,
        systemProperties: undefined,
        properties: { ...plain.properties, ...plain.systemProperties },
      }),
    ).toMatchObject({ kind: 'connection', connected: false });
  });

  it('skips what it cannot read with a reason to count, never throwing', () => {
    const skip = (raw: RawEvent) => {
      const parsed = parseLivenessEvent(raw);
      return parsed.ok ? 'parsed' : parsed.skip;
    };
    const base = connectionState('deviceConnected', 'd', t(2), seq(1));
    const cases: [RawEvent, string][] = [
      [
        { ...base, systemProperties: { 'iothub-message-source': 'deviceJobLifecycleEvents' } },
        'unknownSource',
      ],
      [{ ...base, properties: { ...base.properties, opType: 'deviceRebooted' } }, 'unknownOpType'],
      [{ ...base, properties: { ...base.properties, opType: '__proto__' } }, 'unknownOpType'],
      [{ ...base, body: 'not json{' }, 'badBody'],
      [{ ...base, properties: { ...base.properties, deviceId: 'x'.repeat(129) } }, 'badIdentityId'],
      [{ ...telemetry('a/b', t(1)) }, 'badIdentityId'],
      [{ ...telemetry('d', t(1), { moduleId: 'm\u0000' }) }, 'badIdentityId'],
      [{ ...base, body: '[1,2]' }, 'badBody'],
      [{ ...base, body: { sequenceNumber: 'xyz' } }, 'badSequenceNumber'],
      [{ ...base, body: { sequenceNumber: -1 } }, 'badSequenceNumber'],
      [{ ...base, body: { sequenceNumber: 1.5 } }, 'badSequenceNumber'],
      [{ ...base, body: { sequenceNumber: '1'.repeat(65) } }, 'badSequenceNumber'],
      [{ ...base, body: {} }, 'badSequenceNumber'],
      [{ ...base, body: JSON.parse('{"__proto__":{"sequenceNumber":"1"}}') }, 'badSequenceNumber'],
      [
        {
          ...base,
          properties: { ...base.properties, deviceId: undefined },
          systemProperties: { 'iothub-message-source': 'deviceConnectionStateEvents' },
        },
        'missingDeviceId',
      ],
      [
        {
          ...base,
          properties: { ...base.properties, operationTimestamp: 'yesterday' },
          systemProperties: { ...base.systemProperties, 'iothub-enqueuedtime': undefined },
          enqueuedTimeUtc: undefined,
        },
        'badTime',
      ],
      [{ ...twinChange('d', t(1), { reported: { a: 1 } }), body: Buffer.from('{') }, 'badBody'],
      [
        { ...digitalTwinChange('d', t(1)), properties: { deviceId: 'd', opType: 'deleteTwin' } },
        'unknownOpType',
      ],
      [
        { body: null, systemProperties: undefined, properties: undefined, enqueuedTimeUtc: t(1) },
        'missingDeviceId',
      ],
      [
        { body: 1n, systemProperties: 'x' as never, properties: 5 as never, enqueuedTimeUtc: {} },
        'missingDeviceId',
      ],
    ];
    for (const [raw, reason] of cases) expect(skip(raw)).toBe(reason);
  });

  it('orders sequence numbers as the hub documents: padded strings, as big numbers', () => {
    expect(parseConnectionSequence('1')).toBe('0'.repeat(63) + '1');
    expect(parseConnectionSequence('0x0a')).toBe(parseConnectionSequence('A'));
    expect(parseConnectionSequence(255)).toBe(parseConnectionSequence('ff'));
    expect(parseConnectionSequence('00' + seq(5))).toBe(seq(5));
    const values = [
      'F',
      '10',
      '1D4132452F67CE2',
      'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1',
      '2',
      seq(3),
      seq(12),
    ];
    const byString = values.map((v) => parseConnectionSequence(v)!).sort();
    const byNumber = [...values].sort((a, b) => (BigInt(`0x${a}`) < BigInt(`0x${b}`) ? -1 : 1));
    expect(byString).toEqual(byNumber.map((v) => parseConnectionSequence(v)));
  });
});

describe('connection state in the liveness map', () => {
  const run = [
    connectionState('deviceConnected', 'c', t(10), seq(1)),
    connectionState('deviceDisconnected', 'c', t(20), seq(2)),
    connectionState('deviceConnected', 'c', t(30), seq(3)),
    connectionState('deviceDisconnected', 'c', t(40), seq(4)),
  ].map(event);

  it('takes the state of the highest sequence number, whatever the order and repeats', () => {
    const inOrder = applyLivenessEvents(null, run, policy).next;
    expect(inOrder).toMatchObject({
      state: 'online',
      lastSeen: t(30),
      connectionState: 'disconnected',
      connectionStateAt: t(40),
      connectionSequence: seq(4),
      deadline: t(70), // the disconnect grace (30 s), before the heartbeat deadline (150 s)
    });
    // Every order of the run delivered twice, in batches of every size.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 200; round++) {
      const noisy = [...run, ...run].sort(() => random() - 0.5);
      const size = 1 + Math.floor(random() * noisy.length);
      let r = null;
      for (let i = 0; i < noisy.length; i += size)
        r = applyLivenessEvents(r, noisy.slice(i, i + size), policy).next ?? r;
      expect(r).toEqual(inOrder);
    }
  });

  it('counts a connect as activity and a disconnect not', async () => {
    const m = monitor();
    await m.ingest([connectionState('deviceDisconnected', 'n', t(5), seq(1))]);
    expect(await m.entry('n')).toMatchObject({
      state: 'neverSeen',
      lastSeen: null,
      connectionState: 'disconnected',
      deadline: null,
    });
    await m.ingest([connectionState('deviceConnected', 'n', t(6), seq(2))]);
    expect(await m.entry('n')).toMatchObject({ state: 'online', lastSeen: t(6) });
  });

  it('raises a disconnect longer than the grace once, from the disconnect; a reconnect ends it', async () => {
    const m = monitor();
    await m.ingest([telemetry('x', t(0)), connectionState('deviceConnected', 'x', t(0), seq(1))]);
    await m.ingest([connectionState('deviceDisconnected', 'x', t(50), seq(2))]);
    expect((await m.entry('x'))?.deadline).toBe(t(80));
    expect(await m.sweepAt(79)).toMatchObject({ silenced: 0 });
    expect(await m.sweepAt(80)).toMatchObject({ silenced: 1 });
    expect(await m.sweepAt(200)).toMatchObject({ silenced: 0 });
    expect(await m.entry('x')).toMatchObject({
      state: 'silent',
      stateSince: t(50),
      silentReason: 'disconnected',
    });
    // A late message from before the disconnect does not end it; the disconnect again neither.
    await m.ingest([
      telemetry('x', t(49)),
      connectionState('deviceDisconnected', 'x', t(50), seq(2)),
    ]);
    expect((await m.entry('x'))?.state).toBe('silent');
    // Reconnected (delivered twice, across batches).
    await m.ingest([connectionState('deviceConnected', 'x', t(300), seq(3))]);
    await m.ingest([connectionState('deviceConnected', 'x', t(300), seq(3))]);
    expect(m.published).toEqual([
      expect.objectContaining({
        kind: 'silent',
        at: t(50),
        reason: 'disconnected',
        lastSeen: t(0),
      }),
      expect.objectContaining({
        kind: 'recovered',
        at: t(300),
        reason: 'disconnected',
        outageSeconds: 250,
      }),
    ]);
    expect((await m.store.listAlerts(10)).items).toHaveLength(2);
    // The twins' copy: Connected, Disconnected at the disconnect, Connected at the reconnect.
    expect(m.mirrored.map((c) => `${c.state}@${c.at}`)).toEqual(
      expect.arrayContaining([`Connected@${t(0)}`, `Disconnected@${t(50)}`, `Connected@${t(300)}`]),
    );
    expect(connectionViewOf((await m.entry('x'))!)).toEqual({ state: 'Connected', since: t(300) });
  });

  it('raises nothing for a reconnect within the grace, in either order', async () => {
    for (const order of ['disconnect first', 'connect first']) {
      const m = monitor();
      await m.ingest([connectionState('deviceConnected', 'y', t(0), seq(1))]);
      const drop = connectionState('deviceDisconnected', 'y', t(40), seq(2));
      const back = connectionState('deviceConnected', 'y', t(55), seq(3));
      await m.ingest(order === 'disconnect first' ? [drop] : [back]);
      await m.ingest(order === 'disconnect first' ? [back, drop] : [drop, back]);
      for (const at of [60, 80, 100]) await m.sweepAt(at);
      expect(m.published, order).toEqual([]);
      expect(await m.entry('y')).toMatchObject({
        state: 'online',
        connectionState: 'connected',
        connectionSequence: seq(3),
        deadline: t(175),
      });
    }
  });

  it('without a grace setting, flags a disconnected device at its heartbeat deadline, as disconnected', async () => {
    const m = monitor({ disconnectGraceSeconds: null });
    await m.ingest([
      telemetry('z', t(0)),
      connectionState('deviceDisconnected', 'z', t(10), seq(9)),
    ]);
    expect((await m.entry('z'))?.deadline).toBe(t(120));
    expect(await m.sweepAt(119)).toMatchObject({ silenced: 0 });
    expect(await m.sweepAt(120)).toMatchObject({ silenced: 1 });
    expect(m.published).toEqual([
      expect.objectContaining({ kind: 'silent', at: t(10), reason: 'disconnected' }),
    ]);
  });

  it('tells heartbeat silence from connection loss', async () => {
    const m = monitor();
    await m.ingest([telemetry('h', t(0)), connectionState('deviceConnected', 'h', t(0), seq(1))]);
    await m.sweepAt(121);
    expect(m.published).toEqual([
      expect.objectContaining({ kind: 'silent', at: t(120), reason: 'heartbeatMissed' }),
    ]);
    await m.ingest([telemetry('h', t(200))]);
    expect(m.published[1]).toMatchObject({
      kind: 'recovered',
      reason: 'heartbeatMissed',
      outageSeconds: 200,
    });
  });
});

describe('twin and digital twin changes', () => {
  it('counts reported properties as activity, and neither desired properties, tags nor digital twins', async () => {
    const m = monitor();
    await m.ingest([lifecycle('createDeviceIdentity', 'tw', t(0), { generationId: '1' })]);
    const quiet = await m.ingest([
      twinChange('tw', t(5), { desired: { fw: '2' } }),
      twinChange('tw', t(6), { tags: { site: 'b' } }),
      twinChange('tw', t(7), { reported: { fw: '2' } }, { opType: 'replaceTwin' }),
      digitalTwinChange('tw', t(8)),
    ]);
    expect(quiet).toMatchObject({ events: 4, ignored: 4, malformed: 0, writes: 0 });
    expect((await m.entry('tw'))?.state).toBe('neverSeen');
    await m.ingest([twinChange('tw', t(9), { reported: { fw: '2' } })]);
    expect(await m.entry('tw')).toMatchObject({
      state: 'online',
      lastSeen: t(9),
      lastHeartbeat: null,
    });
    await m.ingest([twinChange('tw', t(12), { reported: { x: 1 } }, { moduleId: 'mod' })]);
    expect((await m.entry('tw', 'mod'))?.state).toBe('online');
  });
});

describe('bad input', () => {
  it('is skipped and counted by reason, logged once a reason, and the good events still apply', async () => {
    const m = monitor();
    const good = connectionState('deviceConnected', 'g', t(1), seq(1));
    const bad: RawEvent[] = [
      { ...good, body: { sequenceNumber: 'not hex' } },
      { ...good, body: { sequenceNumber: 'nope' } },
      { ...good, body: 'not json{' },
      {
        ...good,
        properties: { opType: 'deviceConnected' },
        systemProperties: { 'iothub-message-source': 'deviceConnectionStateEvents' },
      },
      { ...good, systemProperties: { 'iothub-message-source': 'somethingNew' } },
    ];
    const first = await m.ingest([...bad, good]);
    expect(first).toMatchObject({
      events: 6,
      malformed: 5,
      writes: 1,
      skipped: { badSequenceNumber: 2, badBody: 1, missingDeviceId: 1, unknownSource: 1 },
    });
    await m.ingest(bad);
    expect(m.skips).toEqual({
      badSequenceNumber: 4,
      badBody: 2,
      missingDeviceId: 2,
      unknownSource: 2,
    });
    expect(m.warnings).toHaveLength(4);
    expect((await m.entry('g'))?.state).toBe('online');
  });
});
