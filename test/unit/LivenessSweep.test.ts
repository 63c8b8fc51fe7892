import { describe, expect, it } from 'vitest';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import { applyLivenessEvents } from '../../src/domain/liveness/applyLivenessEvents';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  indexDeadline,
  type LivenessPolicy,
  type LivenessRecord,
} from '../../src/domain/liveness/LivenessRecord';
import { silentLogger } from '../../src/ports/Logger';
import type { PipelineProbe } from '../../src/ports/PipelineProbe';
import { onlineAt } from '../contract/livenessStoreContract';
import { InMemoryLivenessStore } from '../fakes/InMemoryLivenessStore';
import { t } from '../support/livenessEvents';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};

/** The sweep over the in-memory store; `behind` makes the pipeline report a backlog. */
function sweeper(options: { behind?: boolean } = {}) {
  const store = new InMemoryLivenessStore();
  const published: LivenessAlert[] = [];
  const relay = new AlertRelay(
    store,
    { publish: (a) => (published.push(...a), Promise.resolve()) },
    silentLogger,
  );
  let behind = options.behind ?? false;
  const probe: PipelineProbe = {
    oldestUnprocessed: () => Promise.resolve(behind ? new Date(t(0)) : null),
  };
  const sweep = new LivenessSweep(
    store,
    new PipelineMonitor(store, probe, 60),
    relay,
    policy,
    silentLogger,
  );
  const put = async (record: LivenessRecord) => {
    const { lost } = await store.write([
      { ref: record, record, before: null, etag: null, indexedDeadline: null, alerts: [] },
    ]);
    expect(lost).toEqual([]);
  };
  const entry = async (deviceId: string) =>
    (await store.readMany([{ deviceId, moduleId: null }])).get(`${deviceId}\u0000`)?.record;
  return {
    store,
    published,
    put,
    entry,
    catchUp: () => void (behind = false),
    at: (seconds: number) => sweep.sweep(new Date(t(seconds))),
  };
}

/** An entry last heard from at `lastSeen` seconds: due 120 s later. */
const heardAt = (deviceId: string, lastSeen: number) => onlineAt(deviceId, lastSeen);

describe('LivenessSweep', () => {
  it('leaves entries alone before their deadline', async () => {
    const s = sweeper();
    await s.put(heardAt('d', 0));
    expect(await s.at(119)).toMatchObject({ due: 0, silenced: 0 });
    expect(await s.entry('d')).toMatchObject({ state: 'online' });
  });

  it('turns an overdue entry silent with one alert dated at its deadline, once', async () => {
    const s = sweeper();
    await s.put(heardAt('d', 0));
    expect(await s.at(121)).toMatchObject({ due: 1, silenced: 1 });
    expect(await s.entry('d')).toMatchObject({
      state: 'silent',
      stateSince: t(120),
      silentReason: 'heartbeatMissed',
      deadline: null,
    });
    expect(await s.at(500)).toMatchObject({ due: 0, silenced: 0 });
    expect(s.published).toEqual([
      expect.objectContaining({ kind: 'silent', deviceId: 'd', at: t(120), lastSeen: t(0) }),
    ]);
    expect(await s.store.listPendingAlerts(10)).toEqual([]);
  });

  it('holds silent alerts while the pipeline is behind, and raises them once it caught up', async () => {
    const s = sweeper({ behind: true });
    await s.put(heardAt('d', 0));
    expect(await s.at(200)).toMatchObject({ due: 1, held: 1, silenced: 0, current: false });
    expect(await s.entry('d')).toMatchObject({ state: 'online' });
    s.catchUp();
    expect(await s.at(201)).toMatchObject({ silenced: 1, current: true });
    expect(s.published.map((a) => a.at)).toEqual([t(120)]);
  });

  it('raises each alert once when two sweeps race over the same map', async () => {
    const s = sweeper();
    for (let i = 0; i < 20; i++) await s.put(heardAt(`d${i}`, i));
    const results = await Promise.all([s.at(300), s.at(300), s.at(301)]);
    expect(results.reduce((n, r) => n + r.silenced, 0)).toBe(20);
    expect(s.published).toHaveLength(20);
    expect(new Set(s.published.map((a) => a.deviceId)).size).toBe(20);
  });

  it('moves a row filed early to its entry’s deadline without an alert', async () => {
    const s = sweeper();
    const record = { ...heardAt('d', 100), filedDeadline: t(120) };
    expect(indexDeadline(record)).toBe(t(120));
    await s.put(record);
    expect(await s.at(150)).toMatchObject({ refiled: 1, silenced: 0 });
    expect(await s.at(219)).toMatchObject({ due: 0 });
    expect(await s.at(221)).toMatchObject({ silenced: 1 });
    expect(s.published.map((a) => a.at)).toEqual([t(220)]);
  });

  it('purges a tombstone once its time is up, and drops index rows nothing points at', async () => {
    const s = sweeper();
    const deleted = applyLivenessEvents(
      heardAt('gone', 0),
      [
        {
          kind: 'lifecycle',
          op: 'delete',
          deviceId: 'gone',
          moduleId: null,
          at: t(10),
          generationId: null,
          enabled: null,
        },
      ],
      policy,
    ).next!;
    await s.put(deleted);
    // An index row whose entry is gone (a crash between writes elsewhere).
    await s.store.write([
      {
        ref: { deviceId: 'orphan', moduleId: null },
        record: heardAt('orphan', 0),
        before: null,
        etag: null,
        indexedDeadline: null,
        alerts: [],
      },
    ]);
    const orphan = (await s.store.readMany([{ deviceId: 'orphan', moduleId: null }])).get(
      'orphan\u0000',
    )!;
    await s.store.write([
      {
        ref: { deviceId: 'orphan', moduleId: null },
        record: { ...orphan.record, state: 'silent', deadline: null },
        before: orphan.record,
        etag: orphan.etag,
        indexedDeadline: null,
        alerts: [],
      },
    ]);
    expect(await s.at(700)).toMatchObject({ purged: 1, repaired: 1, silenced: 0 });
    expect(await s.entry('gone')).toBeUndefined();
    expect(await s.store.listDue(t(10_000), 10)).toEqual([]);
    expect(s.published).toEqual([]);
  });

  it('never flags a disabled entry', async () => {
    const s = sweeper();
    await s.put({ ...heardAt('d', 0), enabled: false });
    await s.at(1000);
    expect(s.published).toEqual([]);
    expect(await s.entry('d')).toMatchObject({ state: 'online', deadline: null });
  });
});
