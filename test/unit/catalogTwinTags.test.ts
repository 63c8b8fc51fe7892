import { beforeEach, describe, expect, it } from 'vitest';
import { CatalogSync } from '../../src/application/catalog/CatalogSync';
import { DeviceRegistry } from '../../src/application/DeviceRegistry';
import { ModuleRegistry } from '../../src/application/ModuleRegistry';
import type { RegistryDeps } from '../../src/application/RegistryDeps';
import { TwinRegistry } from '../../src/application/TwinRegistry';
import { parseCatalogChange } from '../../src/domain/catalog/parseCatalogChange';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import { parseLivenessEvent } from '../../src/domain/liveness/parseLivenessEvent';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import { silentLogger } from '../../src/ports/Logger';
import { InMemoryDeviceCatalog } from '../fakes/InMemoryDeviceCatalog';
import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';

/** A notification as a consumer's trigger sees it after the relay published it. */
const asRawEvent = (n: LifecycleNotification): RawEvent => ({
  body: JSON.parse(JSON.stringify(n.body)),
  properties: { ...n.systemProperties, ...n.properties },
  systemProperties: {},
  enqueuedTimeUtc: new Date().toISOString(),
});

/** A seeded generator, so a failure can be reproduced. */
const seeded = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

/**
 * At-least-once delivery as Event Hubs gives it: each notification's first copy in commit order
 * (a device's partition is ordered), repeats of earlier ones anywhere after it.
 */
function withRepeats<T>(items: readonly T[], seed: number): T[] {
  const random = seeded(seed);
  const out: T[] = [];
  items.forEach((item, i) => {
    out.push(item);
    while (random() < 0.5) out.push(items[Math.floor(random() * (i + 1))] as T);
  });
  return out;
}

describe('the catalog keeps tags current from twin change notifications', () => {
  let store: InMemoryRegistryStore;
  let devices: DeviceRegistry;
  let modules: ModuleRegistry;
  let twins: TwinRegistry;
  let now: Date;

  beforeEach(() => {
    store = new InMemoryRegistryStore();
    now = new Date('2026-01-02T03:04:05.000Z');
    const deps: RegistryDeps = {
      store,
      clock: { now: () => now },
      logger: silentLogger,
      hubName: 'hub',
      maxModulesPerDevice: 20,
    };
    devices = new DeviceRegistry(deps);
    modules = new ModuleRegistry(deps);
    twins = new TwinRegistry(deps);
  });

  /** A history of tag changes of every kind, with a delete and a re-create. */
  async function history() {
    const any = { kind: 'any' as const };
    const tick = () => void (now = new Date(now.getTime() + 1000));
    await devices.create('d', {}, { tags: { site: 'a', loc: { b: 1, f: 2 } } });
    await modules.create('d', 'm', {});
    tick();
    await twins.update('d', null, { tags: { loc: { f: 3 }, owner: 'x' } }, 'merge', any);
    await twins.update('d', 'm', { tags: { role: 'r1' } }, 'merge', any);
    await twins.update('d', null, { desired: { rate: 1 } }, 'merge', any);
    await twins.update('d', null, { tags: { owner: null, loc: { b: null } } }, 'merge', any);
    tick();
    await twins.update('d', 'm', { tags: { role: 'r2', n: { deep: [1, 2] } } }, 'replace', any);
    await devices.update('d', { status: 'disabled' }, any);
    await twins.update('d', null, { tags: { site: 'b' } }, 'merge', any);
    await devices.create('e', {});
    await twins.update('e', null, { tags: { gone: 'soon' } }, 'merge', any);
    await devices.delete('e', any);
    await devices.create('e', {}, { tags: { again: true } });
    await twins.update('e', null, { tags: { more: 1 } }, 'merge', any);
    // Changes nothing: emits nothing.
    await twins.update('e', null, { tags: { more: 1 } }, 'merge', any);
  }

  /** The registry's tags per live identity, as the catalog should hold them. */
  async function registryTags() {
    const out: Record<string, unknown> = {};
    for (const { deviceId } of (await devices.list(100)).items) {
      out[deviceId] = (await twins.get(deviceId, null)).tags;
      for (const m of await modules.list(deviceId))
        out[`${deviceId}/${m.moduleId}`] = (await twins.get(deviceId, m.moduleId)).tags;
    }
    return out;
  }

  async function catalogTags(catalog: InMemoryDeviceCatalog) {
    const out: Record<string, unknown> = {};
    for (const e of await catalog.list())
      if (!e.deleted) out[`${e.deviceId}${e.moduleId ? `/${e.moduleId}` : ''}`] = e.tags;
    return out;
  }

  it('ends with the registry tags through repeats, in uneven batches, whatever the seed', async () => {
    await history();
    const events = store.committed.map(asRawEvent);
    expect(store.committed.filter((n) => n.properties.opType === 'updateTwin')).toHaveLength(7);
    const expected = await registryTags();
    expect(expected).toEqual({
      d: { site: 'b', loc: { f: 3 } },
      'd/m': { role: 'r2', n: { deep: [1, 2] } },
      e: { again: true, more: 1 },
    });
    for (let seed = 1; seed <= 30; seed++) {
      const catalog = new InMemoryDeviceCatalog();
      const sync = new CatalogSync(catalog);
      const deliveries = withRepeats(events, seed);
      let applied = 0;
      for (let at = 0, size = 1; at < deliveries.length; at += size, size = (size % 4) + 1)
        applied += (await sync.apply(deliveries.slice(at, at + size))).applied;
      // Each notification applied exactly once.
      expect(applied).toBe(events.length);
      expect(await catalogTags(catalog)).toEqual(expected);

      // Everything again, in any order: all of it stale now, nothing moves.
      const replay = [...events, ...events].sort(() => seeded(seed)() - 0.5);
      const again = await sync.apply(replay);
      expect(again).toMatchObject({ applied: 0, stale: replay.length, malformed: 0 });
      expect(await catalogTags(catalog)).toEqual(expected);
    }
  });

  it('applies a batch holding several changes of one identity in sequence order', async () => {
    await history();
    const catalog = new InMemoryDeviceCatalog();
    // One batch, newest first: a lifecycle-only catalog would keep the newest and skip the rest.
    const result = await new CatalogSync(catalog).apply(
      [...store.committed].reverse().map(asRawEvent),
    );
    expect(result.malformed).toBe(0);
    expect(await catalogTags(catalog)).toEqual(await registryTags());
  });

  it('reads twin change notifications, and the liveness ingest counts none as activity', async () => {
    await devices.create('d', {});
    await twins.update('d', null, { tags: { site: 'a' } }, 'merge', { kind: 'any' });
    const raw = asRawEvent(store.committed.at(-1)!);
    expect(parseCatalogChange(raw)).toMatchObject({
      ok: true,
      change: { op: 'twin', opType: 'updateTwin', tags: { kind: 'merge', values: { site: 'a' } } },
    });
    // Read, and a change of tags only: no activity (only reported properties would be).
    expect(parseLivenessEvent(raw)).toMatchObject({
      ok: true,
      event: { kind: 'twinChange', reported: false },
    });
    // As an IoT hub route delivers one: the source a system property, no sequence number.
    const routed: RawEvent = {
      body: JSON.stringify({ version: 2, tags: { site: 'b' } }),
      systemProperties: {
        'iothub-message-source': 'twinChangeEvents',
        'iothub-connection-device-id': 'd',
      },
      properties: { opType: 'updateTwin', operationTimestamp: '2026-01-02T00:00:00Z' },
      enqueuedTimeUtc: '2026-01-02T00:00:01Z',
    };
    expect(parseCatalogChange(routed)).toMatchObject({
      ok: true,
      change: { deviceId: 'd', sequence: Date.parse('2026-01-02T00:00:00Z') * 1000 },
    });
    expect(parseLivenessEvent(routed)).toMatchObject({
      ok: true,
      event: { kind: 'twinChange', reported: false },
    });
    expect(parseCatalogChange({ ...routed, properties: { opType: 'patchTwin' } }).ok).toBe(false);
  });
});
