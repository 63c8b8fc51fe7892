import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CosmosConnectionMirror } from '../../src/adapters/cosmos/CosmosConnectionMirror';
import { ContinuationSeal } from '../../src/adapters/cosmos/ContinuationSeal';
import { CosmosRegistryStore } from '../../src/adapters/cosmos/CosmosRegistryStore';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import type { ConnectionChange, ConnectionMirror } from '../../src/ports/ConnectionMirror';
import { silentLogger } from '../../src/ports/Logger';
import { createDevice, deviceDraft } from '../contract/registryStoreContract';
import { freshCosmosContainer } from '../support/cosmosContainer';
import { lifecycle, t, telemetry } from '../support/livenessEvents';
import { freshLivenessStore } from '../support/livenessTable';

const change = (over: Partial<ConnectionChange>): ConnectionChange => ({
  deviceId: 'm-1',
  moduleId: null,
  generationId: '1',
  state: 'Connected',
  at: '2026-01-01T00:01:00.000Z',
  lastActivityTime: '2026-01-01T00:01:00.000Z',
  ...over,
});

describe("the twins' copy of liveness transitions", () => {
  it('keeps the newest transition whatever the order, and drops other generations', async () => {
    const container = await freshCosmosContainer();
    const store = new CosmosRegistryStore(container, new ContinuationSeal(randomBytes(32)));
    await createDevice(store, deviceDraft('m-1'));
    const mirror = new CosmosConnectionMirror(container);
    const state = async () => {
      const { twin } = (await store.readTwin('m-1', null))!;
      return [twin.connectionState, twin.lastActivityTime];
    };
    const newer = change({ state: 'Disconnected', at: '2026-01-01T00:03:00.000Z' });
    // Racing applications of both, newest last and first: the newest wins either way.
    await Promise.all([mirror.apply([change({})]), mirror.apply([newer]), mirror.apply([newer])]);
    await mirror.apply([change({})]);
    expect(await state()).toEqual(['Disconnected', '2026-01-01T00:01:00.000Z']);
    await mirror.apply([change({ at: '2026-01-01T00:09:00.000Z', generationId: 'other' })]);
    expect(await state()).toEqual(['Disconnected', '2026-01-01T00:01:00.000Z']);
    await mirror.apply([change({ deviceId: 'gone' })]);
  });

  it('never leaves a coming online behind: a failed copy writes nothing, and the retry copies', async () => {
    const livenessStore = await freshLivenessStore();
    const applied: ConnectionChange[] = [];
    let failing = true;
    const mirror: ConnectionMirror = {
      apply: (changes) => {
        if (failing && changes.length > 0) return Promise.reject(new Error('Cosmos is down'));
        applied.push(...changes);
        return Promise.resolve();
      },
    };
    const published: LivenessAlert[] = [];
    const alerts = new AlertRelay(
      livenessStore,
      { publish: (a) => (published.push(...a), Promise.resolve()) },
      silentLogger,
      mirror,
    );
    const clock = { now: () => new Date(t(120)) };
    const policy = { defaultIntervalSeconds: 60, graceFactor: 2, tombstoneSeconds: 600 };
    const ingest = new LivenessIngest(
      livenessStore,
      policy,
      silentLogger,
      alerts,
      clock,
      10,
      mirror,
    );
    const batch = [
      lifecycle('createDeviceIdentity', 'c-1', t(0), { generationId: 'g1' }),
      telemetry('c-1', t(60)),
    ];
    await expect(ingest.ingest(batch, '0')).rejects.toThrow('Cosmos is down');
    const ref = { deviceId: 'c-1', moduleId: null };
    expect([...(await livenessStore.readMany([ref])).values()]).toEqual([]);
    failing = false;
    await ingest.ingest(batch, '0'); // the trigger hands the batch over again
    expect(applied).toEqual([
      {
        deviceId: 'c-1',
        moduleId: null,
        generationId: 'g1',
        state: 'Connected',
        at: t(60),
        lastActivityTime: t(60),
      },
    ]);
    expect([...(await livenessStore.readMany([ref])).values()][0]?.record.state).toBe('online');
  });

  it('keeps a silent alert pending until its twin copy is made', async () => {
    const livenessStore = await freshLivenessStore();
    let failing = false;
    const applied: ConnectionChange[] = [];
    const mirror: ConnectionMirror = {
      apply: (changes) =>
        failing ? Promise.reject(new Error('down')) : (applied.push(...changes), Promise.resolve()),
    };
    const relay = new AlertRelay(
      livenessStore,
      { publish: () => Promise.resolve() },
      silentLogger,
      mirror,
    );
    let now = new Date(t(60));
    const policy = { defaultIntervalSeconds: 60, graceFactor: 2, tombstoneSeconds: 600 };
    const ingest = new LivenessIngest(
      livenessStore,
      policy,
      silentLogger,
      relay,
      { now: () => now },
      10,
      mirror,
    );
    const sweep = new LivenessSweep(
      livenessStore,
      new PipelineMonitor(livenessStore, { oldestUnprocessed: () => Promise.resolve(null) }, 30),
      relay,
      policy,
      silentLogger,
    );
    await ingest.ingest(
      [
        lifecycle('createDeviceIdentity', 's-1', t(0), { generationId: 'g' }),
        telemetry('s-1', t(60)),
      ],
      '0',
    );
    failing = true;
    now = new Date(t(400));
    expect(await sweep.sweep(now)).toMatchObject({ silenced: 1 });
    expect(await livenessStore.listPendingAlerts(10)).toHaveLength(1);
    failing = false;
    expect(await relay.relayPending()).toBe(1);
    expect(applied.at(-1)).toMatchObject({
      deviceId: 's-1',
      state: 'Disconnected',
      lastActivityTime: t(60),
    });
    expect(await livenessStore.listPendingAlerts(10)).toEqual([]);
  });
});
