import type { TableServiceClientOptions } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessPolicy, LivenessState } from '../../src/domain/liveness/LivenessRecord';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import { noAlertPublisher } from '../../src/ports/AlertPublisher';
import { silentLogger } from '../../src/ports/Logger';
import { lifecycle, t, telemetry } from '../support/livenessEvents';
import { livenessTableClient } from '../support/livenessTable';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};
const PARTITIONS = 4;
type PipelinePolicy = NonNullable<
  TableServiceClientOptions['additionalPolicies']
>[number]['policy'];

/**
 * Fails Table transactions (batch requests) from the `from`th one on: before sending, or after
 * the service committed (the answer lost on the way back, as when a process dies mid-call).
 */
function crashing(plan: { from: number; after: boolean }): PipelinePolicy {
  let seen = 0;
  return {
    name: 'crashing',
    sendRequest: async (request, next) => {
      if (!request.url.includes('$batch')) return next(request);
      seen++;
      if (seen < plan.from) return next(request);
      if (!plan.after) throw new Error('crash before the transaction');
      await next(request);
      throw new Error('crash after the transaction committed');
    },
  };
}

function storeOn(name: string, policy?: PipelinePolicy): TableLivenessStore {
  const client = livenessTableClient(
    name,
    policy ? { additionalPolicies: [{ policy, position: 'perCall' }] } : {},
  );
  return new TableLivenessStore(client, new LivenessKeys(PARTITIONS));
}

/** A process of the monitor on `store`: a fresh ingest (empty cache) and sweep. */
function monitorOn(store: TableLivenessStore, now: () => Date) {
  const alerts = new AlertRelay(store, noAlertPublisher, silentLogger);
  const clock = { now };
  return {
    ingest: new LivenessIngest(store, policy, silentLogger, alerts, clock),
    sweep: new LivenessSweep(
      store,
      new PipelineMonitor(store, { oldestUnprocessed: () => Promise.resolve(null) }, 30),
      alerts,
      policy,
      silentLogger,
    ),
  };
}

/** The truth: every entry read and counted. */
async function recount(store: TableLivenessStore): Promise<Record<LivenessState, number>> {
  const counts = { neverSeen: 0, online: 0, silent: 0 };
  let token: string | undefined;
  do {
    const page = await store.listByState(undefined, 1000, token);
    for (const r of page.items) counts[r.state]++;
    token = page.continuationToken;
  } while (token);
  return counts;
}

const fleet = (n: number, at: string): RawEvent[] =>
  Array.from({ length: n }, (_, i) =>
    lifecycle('createDeviceIdentity', `c${i}`, at, { generationId: `g${i}` }),
  );

describe('liveness: counts kept with the state rows', () => {
  const name = () => `counts${randomUUID().replace(/-/g, '').slice(0, 20)}`;

  it.each([
    ['before', false],
    ['after the commit', true],
  ])(
    'stay exact when a process dies %s a transaction and the batch is replayed',
    async (_, after) => {
      const table = name();
      await livenessTableClient(table).createTable();
      const healthy = storeOn(table);
      const now = () => new Date(t(0));
      // 300 devices created, 200 of them seen, across 4 partitions: several transactions each.
      const created = fleet(300, t(0));
      const seen = Array.from({ length: 200 }, (_, i) => telemetry(`c${i}`, t(1)));

      // Each run dies at its fourth transaction; each restart replays the batch, until one
      // gets through. After every death the counts equal what the rows say.
      let deaths = 0;
      for (;;) {
        const dying = storeOn(table, crashing({ from: 4, after }));
        const run = await monitorOn(dying, now)
          .ingest.ingest([...created, ...seen], '0')
          .then(
            () => 'done',
            (error: unknown) => String(error),
          );
        expect(await healthy.countByState()).toEqual(await recount(healthy));
        if (run === 'done') break;
        expect(run).toMatch(/crash/);
        deaths++;
      }
      expect(deaths).toBeGreaterThan(1);
      // The replay after a restart (a fresh ingest, nothing cached) completes the batch.
      await monitorOn(healthy, now).ingest.ingest([...created, ...seen], '0');
      await monitorOn(healthy, now).ingest.ingest([...created, ...seen], '0');
      expect(await healthy.countByState()).toEqual({ neverSeen: 100, online: 200, silent: 0 });
      expect(await recount(healthy)).toEqual({ neverSeen: 100, online: 200, silent: 0 });

      // A sweep that dies part-way, then runs again: each silenced entry counted once.
      const late = () => new Date(t(500));
      const dying = storeOn(table, crashing({ from: 4, after }));
      await expect(monitorOn(dying, late).sweep.sweep(late())).rejects.toThrow(/crash/);
      expect(await healthy.countByState()).toEqual(await recount(healthy));
      const again = await monitorOn(healthy, late).sweep.sweep(late());
      expect(again.silenced).toBeGreaterThan(0);
      expect(await healthy.countByState()).toEqual({ neverSeen: 100, online: 0, silent: 200 });
      expect(await recount(healthy)).toEqual({ neverSeen: 100, online: 0, silent: 200 });
      // Deletes leave tombstones, which no state counts.
      await monitorOn(healthy, late).ingest.ingest(
        Array.from({ length: 50 }, (_, i) =>
          lifecycle('deleteDeviceIdentity', `c${i * 6}`, t(501), { generationId: `g${i * 6}` }),
        ),
        '0',
      );
      expect(await healthy.countByState()).toEqual(await recount(healthy));
      const counts = await healthy.countByState();
      expect(counts.neverSeen + counts.online + counts.silent).toBe(250);
    },
  );

  it('stay exact with two processes writing the same partitions at once', async () => {
    const table = name();
    await livenessTableClient(table).createTable();
    const [a, b] = [storeOn(table), storeOn(table)];
    const now = () => new Date(t(0));
    const events = (from: number) =>
      Array.from({ length: 150 }, (_, i) => telemetry(`p${from + i}`, t(1)));
    // Disjoint devices in the same partitions: every transaction races for the counter rows.
    await Promise.all([
      monitorOn(a, now).ingest.ingest(events(0), '0'),
      monitorOn(b, now).ingest.ingest(events(150), '1'),
      monitorOn(a, now).ingest.ingest(events(300), '2'),
      monitorOn(b, now).ingest.ingest(events(450), '3'),
    ]);
    expect(await a.countByState()).toEqual({ neverSeen: 0, online: 600, silent: 0 });
    expect(await recount(a)).toEqual({ neverSeen: 0, online: 600, silent: 0 });
  });

  it('answer the summary, a page of a state and a page of alerts reading what they return', async () => {
    const table = name();
    await livenessTableClient(table).createTable();
    const store = storeOn(table);
    const m = monitorOn(store, () => new Date(t(0)));
    // 400 devices, 30 of which stop: the reads of each answer must not follow the 400.
    await m.ingest.ingest(
      Array.from({ length: 400 }, (_, i) => telemetry(`r${i}`, t(i < 30 ? 0 : 400))),
      '0',
    );
    await m.sweep.sweep(new Date(t(200)));

    const read = async <T>(f: () => Promise<T>) => {
      const before = store.counters.entitiesRead;
      const value = await f();
      return { value, entities: store.counters.entitiesRead - before };
    };
    const summary = await read(() => store.countByState());
    expect(summary.value).toEqual({ neverSeen: 0, online: 370, silent: 30 });
    expect(summary.entities).toBeLessThanOrEqual(PARTITIONS);

    const first = await read(() => store.listByState('silent', 20));
    expect(first.value.items).toHaveLength(20);
    expect(first.value.items.every((r) => r.state === 'silent')).toBe(true);
    expect(first.entities).toBe(20);
    const rest = await read(() => store.listByState('silent', 20, first.value.continuationToken));
    expect(rest.entities).toBe(10);
    const ids = [...first.value.items, ...rest.value.items].map((r) => r.deviceId).sort();
    expect(new Set(ids).size).toBe(30);

    const online = await read(() => store.listByState('online', 20));
    expect(online.value.items).toHaveLength(20);
    // Online rows point at their entries (a heartbeat does not rewrite the index): two reads.
    expect(online.entities).toBe(40);

    const alerts = await read(() => store.listAlerts(10));
    expect(alerts.value.items).toHaveLength(10);
    expect(alerts.entities).toBe(10);
    const all = [];
    let token: string | undefined;
    do {
      const page = await store.listAlerts(7, token);
      all.push(...page.items);
      token = page.continuationToken;
    } while (token);
    expect(all).toHaveLength(30);
    const newest = await store.listAlerts(30, undefined, { newestFirst: true });
    expect(newest.items.map((a) => a.id)).toEqual([...all].reverse().map((a) => a.id));
  });
});
