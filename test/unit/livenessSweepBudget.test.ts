import { describe, expect, it } from 'vitest';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  NEVER,
  withDeadline,
  type LivenessPolicy,
  type LivenessRecord,
} from '../../src/domain/liveness/LivenessRecord';
import { silentLogger } from '../../src/ports/Logger';
import type { LivenessWrite } from '../../src/ports/LivenessStore';
import { InMemoryLivenessStore } from '../fakes/InMemoryLivenessStore';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** `fleet` online entries; the first `overdue` last seen at 0 (due at 120 s), the rest at 500 s. */
async function fleetStore(fleet: number, overdue: number): Promise<InMemoryLivenessStore> {
  const store = new InMemoryLivenessStore(16);
  const writes: LivenessWrite[] = Array.from({ length: fleet }, (_, i) => {
    const seen = i < overdue ? iso(0) : iso(500);
    const record: LivenessRecord = withDeadline(
      {
        deviceId: `m${i}`,
        moduleId: null,
        generationId: null,
        createdAt: NEVER,
        deletedAt: null,
        enabled: true,
        enabledChangedAt: NEVER,
        state: 'online',
        stateSince: seen,
        lastSeen: seen,
        lastHeartbeat: seen,
        declaredIntervalSeconds: null,
        declaredAt: null,
        lastSilentAt: null,
        silentReason: null,
        connectionState: null,
        connectionStateAt: null,
        connectionSequence: null,
        configuredIntervalSeconds: null,
        configuredGraceFactor: null,
        deadline: null,
      },
      policy,
    );
    return {
      ref: { deviceId: record.deviceId, moduleId: null },
      record,
      before: null,
      etag: null,
      indexedDeadline: null,
      alerts: [],
    };
  });
  await store.write(writes);
  return store;
}

function sweepOf(
  store: InMemoryLivenessStore,
  published: LivenessAlert[],
  elapsed: () => number,
  budgetMs: number,
) {
  const relay = new AlertRelay(
    store,
    { publish: (a: readonly LivenessAlert[]) => (published.push(...a), Promise.resolve()) },
    silentLogger,
  );
  return new LivenessSweep(
    store,
    new PipelineMonitor(store, { oldestUnprocessed: () => Promise.resolve(null) }, 30),
    relay,
    policy,
    silentLogger,
    { budgetMs, pageSize: 100, concurrency: 4, elapsed },
  );
}

describe('the sweep: no cap, a time budget, and where the last one stopped', () => {
  it('flags a mass outage larger than any page in one sweep', async () => {
    const store = await fleetStore(30_000, 12_000);
    const published: LivenessAlert[] = [];
    const result = await sweepOf(store, published, () => 0, 1_000).sweep(new Date(T0 + 200_000));
    expect(result).toMatchObject({ silenced: 12_000, unfinished: 0, ranges: 16 });
    expect(new Set(published.map((a) => a.deviceId)).size).toBe(12_000);
    expect((await store.countByState()).silent).toBe(12_000);
  });

  it('stops at its budget, and the next sweeps go on from there, each alert once', async () => {
    const store = await fleetStore(4_000, 2_000);
    const published: LivenessAlert[] = [];
    // Every reading of the clock is 10 ms later: the budget lasts about a dozen pages.
    let ms = 0;
    const sweep = sweepOf(store, published, () => (ms += 10), 150);
    const results = [];
    for (let i = 0; i < 40 && (await store.countByState()).silent < 2_000; i++)
      results.push(await sweep.sweep(new Date(T0 + 200_000)));
    expect(results.length).toBeGreaterThan(1);
    expect(results[0]?.unfinished).toBeGreaterThan(0);
    expect(results[0]?.silenced).toBeLessThan(2_000);
    // Every range got its turn: the one that stopped first is where the next one started.
    expect(results.reduce((n, r) => n + r.silenced, 0)).toBe(2_000);
    expect(published).toHaveLength(2_000);
    expect(new Set(published.map((a) => a.deviceId)).size).toBe(2_000);
    expect((await sweep.sweep(new Date(T0 + 200_000))).silenced).toBe(0);
  });
});
