import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CatalogSync } from '../../src/application/catalog/CatalogSync';
import { TableDeviceCatalog } from '../../src/adapters/tables/TableDeviceCatalog';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import type { LifecyclePublisher } from '../../src/ports/LifecyclePublisher';
import { api } from '../support/registryApi';
import { eventually } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

/** What a publisher saw, and a switch to make it fail or "crash" the relay at a chosen point. */
function recordingPublisher() {
  const published: LifecycleNotification[] = [];
  const state = {
    failuresLeft: 0,
    /** Called after a publish succeeded, before the relay completes the records. */
    afterPublish: undefined as (() => void) | undefined,
  };
  const decorate = (inner: LifecyclePublisher): LifecyclePublisher => ({
    publish: async (n) => {
      if (state.failuresLeft > 0) {
        state.failuresLeft--;
        throw new Error('Event Hubs refused the batch');
      }
      await inner.publish(n);
      published.push(...n);
      const hook = state.afterPublish;
      state.afterPublish = undefined;
      if (hook) {
        hook();
        throw new Error('the relay died after publishing');
      }
    },
  });
  return { published, state, decorate };
}

const ids = (ns: readonly LifecycleNotification[]) => ns.map((n) => n.properties.notificationId);
const opsOf = (ns: readonly LifecycleNotification[]) =>
  ns.map(
    (n) =>
      `${n.properties.opType}:${n.properties.deviceId}${n.properties.moduleId ? `/${n.properties.moduleId}` : ''}`,
  );

/** The event a lifecycle consumer's trigger sees for a notification. */
const asRawEvent = (n: LifecycleNotification): RawEvent => ({
  body: JSON.parse(JSON.stringify(n.body)),
  properties: { ...n.systemProperties, ...n.properties },
  systemProperties: {},
  enqueuedTimeUtc: new Date().toISOString(),
});

describe('lifecycle notifications through the outbox', () => {
  const runtimes: TestRuntime[] = [];
  const start = async (
    rec: ReturnType<typeof recordingPublisher>,
    settings: Record<string, string> = {},
  ) => {
    const rt = await startTestRuntime(settings, {
      decorate: { lifecyclePublisher: rec.decorate },
    });
    runtimes.push(rt);
    return rt;
  };
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop();
  });

  it('publishes every create, status change and delete once committed, and empties the outbox', async () => {
    const rec = recordingPublisher();
    const rt = await start(rec);
    const call = (method: string, path: string, body?: unknown) =>
      api(method, path, { baseUrl: rt.url, ...(body === undefined ? {} : { body }) });
    expect((await call('PUT', '/devices/ob-1', {})).status).toBe(200);
    expect((await call('PUT', '/devices/ob-1/modules/m1', {})).status).toBe(200);
    const disabled = await api('PUT', '/devices/ob-1', {
      baseUrl: rt.url,
      body: { deviceId: 'ob-1', status: 'disabled' },
      headers: { 'If-Match': '*' },
    });
    expect(disabled.status).toBe(200);
    expect((await call('DELETE', '/devices/ob-1')).status).toBe(204);
    await rt.settled();
    expect(opsOf(rec.published)).toEqual([
      'createDeviceIdentity:ob-1',
      'createDeviceIdentity:ob-1/m1',
      'updateDeviceIdentityStatus:ob-1',
      'deleteDeviceIdentity:ob-1/m1',
      'deleteDeviceIdentity:ob-1',
    ]);
    expect(new Set(ids(rec.published)).size).toBe(5);
    expect(await rt.pendingOutbox()).toBe(0);
  });

  it('keeps records pending while publishing fails, and publishes them once it works', async () => {
    const rec = recordingPublisher();
    const rt = await start(rec);
    rec.state.failuresLeft = 3;
    expect((await api('PUT', '/devices/ob-2', { baseUrl: rt.url, body: {} })).status).toBe(200);
    await eventually(() => (rec.state.failuresLeft === 0 ? true : undefined), 'failures');
    await rt.settled();
    expect(opsOf(rec.published)).toEqual(['createDeviceIdentity:ob-2']);
  });

  it('publishes what a process committed but never relayed, after it died', async () => {
    const rec = recordingPublisher();
    const first = await start(rec);
    // The relay is dead from the start: writes commit, nothing is published.
    first.relay.abandon();
    for (const id of ['ob-3a', 'ob-3b'])
      expect((await api('PUT', `/devices/${id}`, { baseUrl: first.url, body: {} })).status).toBe(
        200,
      );
    expect(await first.pendingOutbox()).toBe(2);
    expect(rec.published).toEqual([]);
    await first.stop();
    const second = await start(rec, first.settings);
    await second.settled();
    expect(opsOf(rec.published).sort()).toEqual([
      'createDeviceIdentity:ob-3a',
      'createDeviceIdentity:ob-3b',
    ]);
  });

  it('publishes again, with the same ids, what a relay published but died before completing', async () => {
    const rec = recordingPublisher();
    const first = await start(rec);
    rec.state.afterPublish = () => first.relay.abandon();
    expect((await api('PUT', '/devices/ob-4', { baseUrl: first.url, body: {} })).status).toBe(200);
    await eventually(() => (rec.published.length === 1 ? true : undefined), 'a publish');
    expect(await first.pendingOutbox()).toBe(1);
    await first.stop();
    const second = await start(rec, first.settings);
    await second.settled();
    expect(opsOf(rec.published)).toEqual([
      'createDeviceIdentity:ob-4',
      'createDeviceIdentity:ob-4',
    ]);
    expect(new Set(ids(rec.published)).size).toBe(1);
  });

  it('lets exactly 20 of 40 racing module creates succeed', async () => {
    const rec = recordingPublisher();
    const rt = await start(rec);
    expect((await api('PUT', '/devices/ob-race', { baseUrl: rt.url, body: {} })).status).toBe(200);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api('PUT', `/devices/ob-race/modules/m${i}`, { baseUrl: rt.url, body: {} }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 403)).toHaveLength(20);
    for (const r of replies.filter((x) => x.status === 403))
      expect(r.headers.get('iothub-errorcode')).toBe('TooManyModulesOnDevice');
    const listed = await api('GET', '/devices/ob-race/modules', { baseUrl: rt.url });
    expect(listed.json).toHaveLength(20);
    await rt.settled();
    expect(
      opsOf(rec.published).filter((o) => o.startsWith('createDeviceIdentity:ob-race/')),
    ).toHaveLength(20);
  });

  it('keeps a catalog equal to the registry through crashes, repeats and reordering', async () => {
    const rec = recordingPublisher();
    let rt = await start(rec);
    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      api(method, path, {
        baseUrl: rt.url,
        ...(body === undefined ? {} : { body }),
        ...(headers ? { headers } : {}),
      });
    // A history with every kind of change, with the relay killed at each step in turn.
    const steps: (() => Promise<unknown>)[] = [
      () => call('PUT', '/devices/cat-a', {}),
      () => call('PUT', '/devices/cat-b', {}),
      () => call('PUT', '/devices/cat-a/modules/m1', {}),
      () => call('PUT', '/devices/cat-a/modules/m2', {}),
      () =>
        call(
          'PUT',
          '/devices/cat-b',
          { deviceId: 'cat-b', status: 'disabled' },
          { 'If-Match': '*' },
        ),
      () => call('DELETE', '/devices/cat-a/modules/m1'),
      () => call('DELETE', '/devices/cat-b'),
      () => call('PUT', '/devices/cat-b', {}),
      () => call('PUT', '/devices/cat-c', {}),
      () => call('DELETE', '/devices/cat-c'),
    ];
    for (const [i, step] of steps.entries()) {
      if (i % 2 === 0) rec.state.afterPublish = () => rt.relay.abandon();
      else rt.relay.abandon();
      await step();
      if (i % 2 === 0)
        await eventually(() => (rec.state.afterPublish ? undefined : true), 'the relay to die');
      await rt.stop();
      rt = await start(rec, rt.settings);
      await rt.settled();
    }
    // Every committed notification reached the publisher, some more than once.
    expect(rec.published.length).toBeGreaterThan(new Set(ids(rec.published)).size);

    const catalog = new TableDeviceCatalog(rt.runtime.catalogTable);
    const cataloged = async () =>
      (await catalog.list())
        .filter((e) => !e.deleted)
        .map(
          (e) =>
            `${e.deviceId}${e.moduleId ? `/${e.moduleId}` : ''}|${e.status ?? ''}|${e.generationId}`,
        )
        .sort();
    const registry: string[] = [];
    for (const d of (await call('GET', '/devices')).json as {
      deviceId: string;
      status: string;
      generationId: string;
    }[]) {
      registry.push(`${d.deviceId}|${d.status}|${d.generationId}`);
      for (const m of (await call('GET', `/devices/${d.deviceId}/modules`)).json as {
        moduleId: string;
        generationId: string;
      }[])
        registry.push(`${d.deviceId}/${m.moduleId}||${m.generationId}`);
    }
    registry.sort();
    // The deviceCatalog trigger, fed through Event Hubs by every runtime in turn, agrees.
    expect(await cataloged()).toEqual(registry);

    // Deliver everything twice over, shuffled, in uneven batches.
    const deliveries = [...rec.published, ...rec.published].map(asRawEvent);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    deliveries.push({
      body: 'not json',
      properties: { opType: 'createDeviceIdentity' },
      systemProperties: {},
      enqueuedTimeUtc: null,
    });
    const sync = new CatalogSync(catalog);
    let malformed = 0;
    for (let at = 0, size = 1; at < deliveries.length; at += size, size = (size % 5) + 1)
      malformed += (await sync.apply(deliveries.slice(at, at + size))).malformed;
    expect(malformed).toBe(1);
    expect(await cataloged()).toEqual(registry);

    expect(registry.sort()).toEqual([
      expect.stringMatching(/^cat-a\/m2\|\|/),
      expect.stringMatching(/^cat-a\|enabled\|/),
      expect.stringMatching(/^cat-b\|enabled\|/),
    ]);
  }, 60_000);

  it("keeps the catalog's tags equal to the registry's through PATCH, PUT, delete, re-create, crashes, repeats and reordering", async () => {
    const rec = recordingPublisher();
    let rt = await start(rec);
    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      api(method, path, {
        baseUrl: rt.url,
        ...(body === undefined ? {} : { body }),
        ...(headers ? { headers } : {}),
      });
    const ok = (reply: Promise<{ status: number; text: string }>) =>
      reply.then((r) => expect([200, 204], r.text).toContain(r.status));
    const steps: (() => Promise<unknown>)[] = [
      () => ok(call('PUT', '/devices/tag-a', {})),
      () => ok(call('PATCH', '/twins/tag-a', { tags: { site: 's1', loc: { b: 1, f: 2 } } })),
      () => ok(call('PUT', '/devices/tag-a/modules/m1', {})),
      () => ok(call('PATCH', '/twins/tag-a/modules/m1', { tags: { role: 'r1' } })),
      () => ok(call('PATCH', '/twins/tag-a', { tags: { loc: { f: null, room: 7 }, owner: 'x' } })),
      () => ok(call('PUT', '/twins/tag-a', { tags: { site: 's2' } })),
      () => ok(call('PATCH', '/twins/tag-a', { properties: { desired: { rate: 5 } } })),
      () => ok(call('PUT', '/devices/tag-b', {})),
      () => ok(call('PATCH', '/twins/tag-b', { tags: { doomed: true } })),
      () => ok(call('DELETE', '/devices/tag-b')),
      () => ok(call('PUT', '/devices/tag-b', {})),
      () => ok(call('PATCH', '/twins/tag-b', { tags: { reborn: { at: 1 } } })),
      () =>
        ok(
          call(
            'PUT',
            '/devices/tag-a',
            { deviceId: 'tag-a', status: 'disabled' },
            { 'If-Match': '*' },
          ),
        ),
      () => ok(call('PUT', '/twins/tag-a/modules/m1', { tags: { role: 'r2', extra: [1, 2] } })),
      () => ok(call('PATCH', '/twins/tag-a', { tags: { owner: null } })),
    ];
    // The relay killed after publishing or before it, at every other step.
    for (const [i, step] of steps.entries()) {
      const crash = i % 3 === 0 ? 'after' : i % 3 === 1 ? 'before' : null;
      if (crash === 'after') rec.state.afterPublish = () => rt.relay.abandon();
      if (crash === 'before') rt.relay.abandon();
      await step();
      if (crash === 'after')
        await eventually(() => (rec.state.afterPublish ? undefined : true), 'the relay to die');
      if (crash) {
        await rt.stop();
        rt = await start(rec, rt.settings);
      }
      await rt.settled();
    }
    expect(rec.published.length).toBeGreaterThan(new Set(ids(rec.published)).size);
    expect(
      rec.published.filter((n) => n.properties.opType === 'updateTwin').length,
    ).toBeGreaterThan(0);

    const registry: Record<string, unknown> = {};
    for (const d of (await call('GET', '/devices')).json as { deviceId: string }[]) {
      if (!d.deviceId.startsWith('tag-')) continue;
      registry[d.deviceId] = (await call('GET', `/twins/${d.deviceId}`)).json.tags;
      for (const m of (await call('GET', `/devices/${d.deviceId}/modules`)).json as {
        moduleId: string;
      }[])
        registry[`${d.deviceId}/${m.moduleId}`] = (
          await call('GET', `/twins/${d.deviceId}/modules/${m.moduleId}`)
        ).json.tags;
    }
    expect(registry).toEqual({
      'tag-a': { site: 's2' },
      'tag-a/m1': { role: 'r2', extra: [1, 2] },
      'tag-b': { reborn: { at: 1 } },
    });
    const tagsIn = async (catalog: TableDeviceCatalog) => {
      const out: Record<string, unknown> = {};
      for (const e of await catalog.list())
        if (!e.deleted) out[`${e.deviceId}${e.moduleId ? `/${e.moduleId}` : ''}`] = e.tags;
      return out;
    };
    // The deviceCatalog trigger, fed through Event Hubs by every runtime in turn, agrees.
    const catalog = new TableDeviceCatalog(rt.runtime.catalogTable);
    expect(await tagsIn(catalog)).toEqual(registry);

    // Everything again, twice over and shuffled: all stale by now, nothing moves.
    const deliveries = [...rec.published, ...rec.published].map(asRawEvent);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const sync = new CatalogSync(catalog);
    for (let at = 0, size = 1; at < deliveries.length; at += size, size = (size % 5) + 1)
      expect((await sync.apply(deliveries.slice(at, at + size))).applied).toBe(0);
    expect(await tagsIn(catalog)).toEqual(registry);

    // A new catalog fed as Event Hubs delivers: each first copy in order, repeats anywhere after.
    const table = TableClient.fromConnectionString(
      inject('stack').storageConnectionString,
      `cat${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      { allowInsecureConnection: true },
    );
    await table.createTable();
    const fresh = new TableDeviceCatalog(table);
    const firsts = [
      ...new Map(rec.published.map((n) => [n.properties.notificationId, n])).values(),
    ];
    const stream: LifecycleNotification[] = [];
    firsts.forEach((n, i) => {
      stream.push(n);
      if (i % 2 === 1) stream.push(firsts[(i * 7919) % (i + 1)]!, n);
    });
    const freshSync = new CatalogSync(fresh);
    let applied = 0;
    for (let at = 0, size = 1; at < stream.length; at += size, size = (size % 4) + 1)
      applied += (await freshSync.apply(stream.slice(at, at + size).map(asRawEvent))).applied;
    expect(applied).toBe(firsts.length);
    expect(await tagsIn(fresh)).toEqual(registry);
    await table.deleteTable();
  }, 120_000);
});
