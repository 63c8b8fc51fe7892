import type { TableClient } from '@azure/data-tables';
import { BlobSweepLeases } from '../adapters/blob/BlobSweepLeases';
import { CosmosConnectionMirror } from '../adapters/cosmos/CosmosConnectionMirror';
import { LivenessKeys } from '../adapters/tables/livenessKeys';
import { TableLivenessStore } from '../adapters/tables/TableLivenessStore';
import { AlertRelay } from '../application/liveness/AlertRelay';
import { LivenessIngest } from '../application/liveness/LivenessIngest';
import type { LivenessServices } from '../application/liveness/LivenessServices';
import { LivenessSweep } from '../application/liveness/LivenessSweep';
import { PipelineMonitor } from '../application/liveness/PipelineMonitor';
import type { LivenessPolicy } from '../domain/liveness/LivenessRecord';
import type { AlertPublisher } from '../ports/AlertPublisher';
import type { LivenessStore } from '../ports/LivenessStore';
import type { Metrics } from '../ports/Metrics';
import type { PipelineProbe } from '../ports/PipelineProbe';
import type { Platform } from './Platform';

/** A table, created when it is missing ("already exists" at start-up is expected). */
export async function ensureTable(table: TableClient): Promise<TableClient> {
  try {
    await table.createTable();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
  }
  return table;
}

/** The last-seen map in Table storage (built before the events, whose probe reads it). */
export async function livenessMap(platform: Platform) {
  const { settings, storage, guard } = platform;
  const table = await ensureTable(storage.table(settings.LIVENESS_TABLE));
  const store = guard.storage(
    new TableLivenessStore(table, new LivenessKeys(settings.LIVENESS_PARTITIONS)),
  );
  return { table, store };
}

/** The liveness monitor: its policy, the ingest, the sweep and the pipeline check. */
export function livenessCapability(
  platform: Platform,
  options: {
    store: LivenessStore;
    probe: PipelineProbe | undefined;
    alerts: AlertPublisher;
    metrics: Metrics;
  },
): LivenessServices {
  const { settings, storage, guard, container, logger, clock } = platform;
  const { store } = options;
  const policy: LivenessPolicy = {
    defaultIntervalSeconds: settings.LIVENESS_DEFAULT_INTERVAL_SECONDS,
    graceFactor: settings.LIVENESS_GRACE_FACTOR,
    tombstoneSeconds: settings.LIVENESS_TOMBSTONE_SECONDS,
    disconnectGraceSeconds: settings.LIVENESS_DISCONNECT_GRACE_SECONDS ?? null,
  };
  const pipeline = new PipelineMonitor(
    store,
    options.probe,
    settings.LIVENESS_MAX_PIPELINE_LAG_SECONDS,
  );
  // Transitions are copied into the twins, so queries can filter on connectionState.
  const mirror = guard.cosmos(new CosmosConnectionMirror(container));
  const alertRelay = new AlertRelay(store, options.alerts, logger, mirror);
  return {
    store,
    ingest: new LivenessIngest(store, policy, logger, alertRelay, clock, undefined, mirror),
    sweep: new LivenessSweep(store, pipeline, alertRelay, policy, logger, {
      budgetMs: settings.LIVENESS_SWEEP_BUDGET_SECONDS * 1000,
      leases: guard.storage(
        new BlobSweepLeases(
          storage.blobs.getContainerClient(settings.LIVENESS_LEASE_CONTAINER),
          settings.LIVENESS_TABLE,
        ),
      ),
    }),
    pipeline,
    policy,
    clock,
    logger,
    metrics: options.metrics,
  };
}
