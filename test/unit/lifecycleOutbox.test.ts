import { beforeEach, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../src/application/DeviceRegistry';
import { LifecycleRelay } from '../../src/application/lifecycle/LifecycleRelay';
import { ModuleRegistry } from '../../src/application/ModuleRegistry';
import type { RegistryDeps } from '../../src/application/RegistryDeps';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import { sequenceOf } from '../../src/domain/lifecycle/sequenceNotifications';
import { silentLogger } from '../../src/ports/Logger';
import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('lifecycle outbox', () => {
  let store: InMemoryRegistryStore;
  let devices: DeviceRegistry;
  let modules: ModuleRegistry;
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
  });

  it('commits each notification with its write, numbered per device ID and rising', async () => {
    await devices.create('d', {});
    await modules.create('d', 'm', {});
    now = new Date(now.getTime() - 60_000); // a clock that went back does not matter
    await devices.update('d', { status: 'disabled' }, { kind: 'any' });
    await devices.delete('d', { kind: 'any' });
    const numbers = store.committed.map((n) => sequenceOf(n)!);
    expect(numbers).toHaveLength(5);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]!);
    expect(store.committed.map((n) => n.properties.notificationId)).toEqual(
      numbers.map((s) => `d/${s}`),
    );
    expect(store.committed.map((n) => n.systemProperties['message-id'])).toEqual(
      numbers.map((s) => `d/${s}`),
    );
    // The delete of the device and of its module are one commit, module first.
    expect(store.outbox.at(-1)?.notifications.map((n) => n.properties.moduleId ?? '')).toEqual([
      'm',
      '',
    ]);
  });

  it('keeps numbering after a device ID is deleted and registered again', async () => {
    await devices.create('d', {});
    await devices.delete('d', { kind: 'any' });
    await devices.create('d', {});
    const [a, b, c] = store.committed.map((n) => sequenceOf(n)!);
    expect(b).toBeGreaterThan(a!);
    expect(c).toBeGreaterThan(b!);
  });

  it('relays records in commit order and removes them only once published', async () => {
    const published: LifecycleNotification[] = [];
    let failing = true;
    const relay = new LifecycleRelay(
      store,
      {
        publish: (n) =>
          failing
            ? Promise.reject(new Error('Event Hubs is down'))
            : (published.push(...n), Promise.resolve()),
      },
      silentLogger,
    );
    await devices.create('a', {});
    await devices.create('b', {});
    const batch = store.feed();
    await expect(relay.relay(batch)).rejects.toThrow('Event Hubs is down');
    expect(store.outbox).toHaveLength(2); // nothing dropped
    failing = false;
    expect(await relay.relay(batch)).toEqual({ records: 2, notifications: 2 });
    expect(published.map((n) => n.properties.deviceId)).toEqual(['a', 'b']);
    expect(store.outbox).toHaveLength(0);
    // A batch handed over again after a crash publishes again (same ids) and completes quietly.
    await relay.relay(batch);
    expect(published.map((n) => n.properties.notificationId)).toEqual([
      ...batch.flatMap((r) => r.notifications.map((n) => n.properties.notificationId)),
      ...batch.flatMap((r) => r.notifications.map((n) => n.properties.notificationId)),
    ]);
  });

  it('lets exactly the limit of 40 racing module creates succeed, and a delete frees a slot', async () => {
    await devices.create('d', {});
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => codeOf(modules.create('d', `m${i}`, {}))),
    );
    expect(results.filter((r) => r === 'resolved')).toHaveLength(20);
    expect(results.filter((r) => r === 'TooManyModulesOnDevice')).toHaveLength(20);
    expect(await modules.list('d')).toHaveLength(20);
    expect((await store.readLedger('d')).ledger.modules).toBe(20);
    const one = (await modules.list('d'))[0]!;
    await modules.delete('d', one.moduleId, { kind: 'any' });
    expect(await codeOf(modules.create('d', 'again', {}))).toBe('resolved');
    expect(await codeOf(modules.create('d', 'too-many', {}))).toBe('TooManyModulesOnDevice');
  });

  it('counts modules per generation: a re-created device starts from zero', async () => {
    await devices.create('d', {});
    for (let i = 0; i < 20; i++) await modules.create('d', `m${i}`, {});
    await devices.delete('d', { kind: 'any' });
    await devices.create('d', {});
    expect((await store.readLedger('d')).ledger.modules).toBe(0);
    expect(await codeOf(modules.create('d', 'm0', {}))).toBe('resolved');
  });
});
