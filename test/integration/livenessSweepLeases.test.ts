import { BlobServiceClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { BlobSweepLeases } from '../../src/adapters/blob/BlobSweepLeases';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import type { LivenessPolicy } from '../../src/domain/liveness/LivenessRecord';
import { silentLogger } from '../../src/ports/Logger';
import { t, telemetry } from '../support/livenessEvents';
import { livenessTableClient } from '../support/livenessTable';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};
const PARTITIONS = 8;

/**
 * A host of the monitor: its own clients of the same table and the same lease container, and
 * an alerts hub that records what it was sent (and can be down).
 */
function host(table: string, container: string) {
  const store = new TableLivenessStore(livenessTableClient(table), new LivenessKeys(PARTITIONS));
  const blobs = BlobServiceClient.fromConnectionString(inject('stack').storageConnectionString);
  const sent: LivenessAlert[] = [];
  const hub = { down: false };
  const relay = new AlertRelay(
    store,
    {
      publish: (a: readonly LivenessAlert[]) =>
        hub.down
          ? Promise.reject(new Error('alerts hub down'))
          : (sent.push(...a), Promise.resolve()),
    },
    silentLogger,
  );
  const sweep = new LivenessSweep(
    store,
    new PipelineMonitor(store, { oldestUnprocessed: () => Promise.resolve(null) }, 30),
    relay,
    policy,
    silentLogger,
    {
      pageSize: 20,
      concurrency: 2,
      leases: new BlobSweepLeases(blobs.getContainerClient(container), table, 15),
    },
  );
  const ingest = new LivenessIngest(store, policy, silentLogger, relay, {
    now: () => new Date(t(0)),
  });
  return { store, sweep, ingest, sent, hub, blobs };
}

describe('liveness: one sweep of a range at a time across hosts', () => {
  it('raises and publishes each alert once when two hosts sweep the same map', async () => {
    const table = `leases${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const container = `leases-${randomUUID().slice(0, 8)}`;
    await livenessTableClient(table).createTable();
    const a = host(table, container);
    const b = host(table, container);
    await a.ingest.ingest(
      Array.from({ length: 200 }, (_, i) => telemetry(`h${i}`, t(i < 120 ? 0 : 1_000))),
      '0',
    );

    // A first wave, recorded while A's alerts hub is down: its alerts stay pending.
    a.hub.down = true;
    await a.ingest.ingest(
      Array.from({ length: 40 }, (_, i) => telemetry(`early${i}`, t(0))),
      '0',
    );
    const first = await a.sweep.sweep(new Date(t(130)));
    expect(first.silenced).toBe(160);
    expect(a.sent).toEqual([]);
    a.hub.down = false;

    // Both hosts at once: pending alerts and the new ones (none: all were flagged) go out once.
    const [ra, rb] = await Promise.all([
      a.sweep.sweep(new Date(t(140))),
      b.sweep.sweep(new Date(t(140))),
    ]);
    const sent = [...a.sent, ...b.sent].map((x) => `${x.kind}:${x.deviceId}`);
    expect(sent).toHaveLength(160);
    expect(new Set(sent).size).toBe(160);
    expect(ra.relayed + rb.relayed).toBe(160);
    // Every range was swept by one host, or found held by the other.
    expect(ra.ranges + ra.leasedElsewhere).toBe(PARTITIONS);
    expect(rb.ranges + rb.leasedElsewhere).toBe(PARTITIONS);

    // More silent devices, both hosts sweeping together: each alert raised and sent once.
    a.sent.length = 0;
    b.sent.length = 0;
    const [sa, sb] = await Promise.all([
      a.sweep.sweep(new Date(t(1_200))),
      b.sweep.sweep(new Date(t(1_200))),
    ]);
    expect(sa.silenced + sb.silenced).toBe(80);
    const second = [...a.sent, ...b.sent].map((x) => x.deviceId);
    expect(second).toHaveLength(80);
    expect(new Set(second).size).toBe(80);
    expect((await a.store.countByState()).silent).toBe(240);
  });

  it('leaves a range another process holds, and sweeps it once the lease is gone', async () => {
    const table = `leases${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const container = `leases-${randomUUID().slice(0, 8)}`;
    await livenessTableClient(table).createTable();
    const a = host(table, container);
    await a.ingest.ingest(
      Array.from({ length: 64 }, (_, i) => telemetry(`k${i}`, t(0))),
      '0',
    );
    const keys = new LivenessKeys(PARTITIONS);
    const held = keys.partitionOf('k0');
    const inHeld = Array.from({ length: 64 }, (_, i) => `k${i}`).filter(
      (id) => keys.partitionOf(id) === held,
    ).length;
    // Another process holds one range's lease.
    const other = new BlobSweepLeases(a.blobs.getContainerClient(container), table, 15);
    const lease = await other.acquire(held);
    expect(lease).not.toBeNull();
    const swept = await a.sweep.sweep(new Date(t(130)));
    expect(swept).toMatchObject({ leasedElsewhere: 1, ranges: PARTITIONS - 1 });
    expect(swept.silenced).toBe(64 - inHeld);
    await lease?.release();
    const next = await a.sweep.sweep(new Date(t(131)));
    expect(next).toMatchObject({ leasedElsewhere: 0, silenced: inHeld });
  });
});
