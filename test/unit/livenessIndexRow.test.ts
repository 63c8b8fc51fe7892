import { describe, expect, it } from 'vitest';
import { InMemoryLivenessStore } from '../fakes/InMemoryLivenessStore';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  indexDeadline,
  withIndexRow,
  type LivenessPolicy,
  type LivenessRecord,
} from '../../src/domain/liveness/LivenessRecord';
import { silentLogger } from '../../src/ports/Logger';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 86_400,
};
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const online = (lastSeen: number, extra: Partial<LivenessRecord> = {}): LivenessRecord => ({
  deviceId: 'd1',
  moduleId: null,
  generationId: null,
  createdAt: at(0),
  deletedAt: null,
  enabled: true,
  enabledChangedAt: at(0),
  state: 'online',
  stateSince: at(0),
  lastSeen: at(lastSeen),
  lastHeartbeat: at(lastSeen),
  declaredIntervalSeconds: null,
  declaredAt: null,
  lastSilentAt: null,
  silentReason: null,
  connectionState: null,
  connectionStateAt: null,
  connectionSequence: null,
  configuredIntervalSeconds: null,
  configuredGraceFactor: null,
  deadline: at(lastSeen + 120),
  ...extra,
});

describe('where a liveness entry’s index row goes', () => {
  it('stays put while the next heartbeat is due before it comes up, and never later than the deadline', () => {
    const first = withIndexRow(null, online(0), policy);
    expect(indexDeadline(first)).toBe(at(120));
    // Seen again 50 s later: the row (120 s) comes up after the next heartbeat is due (110 s).
    const second = withIndexRow(first, online(50), policy);
    expect(second.deadline).toBe(at(170));
    expect(indexDeadline(second)).toBe(at(120));
    // 100 s: the row would come up (120 s) before the next heartbeat is due (160 s): it moves.
    const third = withIndexRow(second, online(100), policy);
    expect(indexDeadline(third)).toBe(at(220));
    expect(third.filedDeadline).toBeUndefined();
    // A deadline brought forward (a shorter interval) takes the row with it.
    const shorter = withIndexRow(third, online(100, { deadline: at(130) }), policy);
    expect(indexDeadline(shorter)).toBe(at(130));
    // No deadline, no row, whatever the record says.
    expect(indexDeadline({ ...second, deadline: null })).toBeNull();
  });
});

describe('the ingest and the sweep with rows left in place', () => {
  const heartbeat = (seconds: number) => ({
    body: '',
    systemProperties: { 'iothub-connection-device-id': 'd1', 'iothub-message-source': 'Telemetry' },
    properties: { messageType: 'heartbeat' },
    enqueuedTimeUtc: at(seconds),
  });

  it('moves the row every other heartbeat, and still flags a silent device at its deadline, once', async () => {
    const store = new InMemoryLivenessStore();
    const published: LivenessAlert[] = [];
    const alerts = new AlertRelay(
      store,
      { publish: (a) => Promise.resolve(void published.push(...a)) },
      silentLogger,
    );
    let now = T0;
    const clock = { now: () => new Date(now) };
    const ingest = new LivenessIngest(store, policy, silentLogger, alerts, clock);
    const sweep = new LivenessSweep(
      store,
      new PipelineMonitor(store, undefined, 120),
      alerts,
      policy,
      silentLogger,
    );

    // Ten heartbeats 50 s apart (the declared default interval is 60 s, grace 2).
    for (let k = 0; k < 10; k++) {
      now = T0 + k * 50_000;
      await ingest.ingest([heartbeat(k * 50)], 'p0');
      // A sweep after each heartbeat finds nothing due.
      const r = await sweep.sweep(new Date(now));
      expect(r).toMatchObject({ due: 0, silenced: 0 });
    }
    // Ten state writes, and the row filed once and moved four times (delete + insert): 19.
    expect(store.counters.entityWrites).toBe(19);

    // Silence after 450 s: the row comes up early (at 520 s; the deadline is 570 s)...
    const early = await sweep.sweep(new Date(T0 + 530_000));
    expect(early).toMatchObject({ due: 1, refiled: 1, silenced: 0 });
    expect(published).toEqual([]);
    expect(await sweep.sweep(new Date(T0 + 569_000))).toMatchObject({ due: 0 });
    // ...and again at the deadline, which flags the device, with the deadline as the time.
    const due = await sweep.sweep(new Date(T0 + 570_000));
    expect(due).toMatchObject({ due: 1, silenced: 1 });
    expect(published).toEqual([
      expect.objectContaining({ kind: 'silent', deviceId: 'd1', at: at(570) }),
    ]);
    expect(await sweep.sweep(new Date(T0 + 600_000))).toMatchObject({ due: 0, silenced: 0 });
    expect(published).toHaveLength(1);
    const [entry] = [...(await store.readMany([{ deviceId: 'd1', moduleId: null }])).values()];
    expect(entry?.record).toMatchObject({ state: 'silent', stateSince: at(570), deadline: null });
  });
});
