import { beforeEach, describe, expect, it } from 'vitest';
import { applyLivenessEvents } from '../../src/domain/liveness/applyLivenessEvents';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  indexDeadline,
  type LivenessPolicy,
  type LivenessRecord,
} from '../../src/domain/liveness/LivenessRecord';
import { refKey, type IdentityRef, type LivenessStore } from '../../src/ports/LivenessStore';
import type { Page } from '../../src/ports/RegistryStore';
import { t } from '../support/livenessEvents';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};

/** An online entry last heard from at `seconds`: its deadline is 120 s later. */
export function onlineAt(deviceId: string, seconds: number, moduleId: string | null = null) {
  return applyLivenessEvents(
    null,
    [
      {
        kind: 'activity',
        deviceId,
        moduleId,
        at: t(seconds),
        heartbeat: true,
        intervalSeconds: null,
        generationId: null,
      },
    ],
    policy,
  ).next!;
}

const refOf = (r: IdentityRef): IdentityRef => ({ deviceId: r.deviceId, moduleId: r.moduleId });

const silentAlert = (ref: IdentityRef, seconds: number): LivenessAlert => ({
  kind: 'silent',
  deviceId: ref.deviceId,
  moduleId: ref.moduleId,
  generationId: null,
  at: t(seconds),
  lastSeen: t(seconds - 120),
  reason: 'heartbeatMissed',
});

async function allPages<T>(read: (token?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await read(token);
    items.push(...page.items);
    token = page.continuationToken;
    if (token === undefined) return items;
  }
  throw new Error('more than 100 pages: the continuation never ends');
}

/**
 * What every LivenessStore must do, run against the in-memory fake and the Table storage
 * adapter on Azurite, so the rules' unit tests and the real map cannot drift apart.
 */
export function livenessStoreContract(name: string, make: () => Promise<LivenessStore>): void {
  describe(`LivenessStore contract: ${name}`, () => {
    let store: LivenessStore;
    beforeEach(async () => {
      store = await make();
    });

    const create = async (record: LivenessRecord, alerts: LivenessAlert[] = []) => {
      const outcome = await store.write([
        { ref: refOf(record), record, before: null, etag: null, indexedDeadline: null, alerts },
      ]);
      expect(outcome.lost).toEqual([]);
      return outcome.etags.get(refKey(record))!;
    };

    it('reads back what it wrote, and nothing for an entry never written', async () => {
      const record = onlineAt('d1', 0);
      const etag = await create(record);
      expect(etag).toEqual(expect.any(String));
      const found = await store.readMany([record, { deviceId: 'nobody', moduleId: null }]);
      expect([...found.keys()]).toEqual([refKey(record)]);
      expect(found.get(refKey(record))).toEqual({ record, etag });
    });

    it('refuses a write on a stale etag or a create over an existing entry, and applies none of it', async () => {
      const record = onlineAt('d1', 0);
      const etag = await create(record);
      const again = await store.write([
        {
          ref: refOf(record),
          record: onlineAt('d1', 5),
          before: null,
          etag: null,
          indexedDeadline: null,
          alerts: [],
        },
      ]);
      expect(again.lost).toEqual([{ deviceId: 'd1', moduleId: null }]);
      const updated = await store.write([
        {
          ref: refOf(record),
          record: onlineAt('d1', 10),
          before: record,
          etag,
          indexedDeadline: indexDeadline(record),
          alerts: [],
        },
      ]);
      expect(updated.lost).toEqual([]);
      const newEtag = updated.etags.get(refKey(record));
      expect(newEtag).not.toBe(etag);
      const stale = await store.write([
        {
          ref: refOf(record),
          record: onlineAt('d1', 20),
          before: onlineAt('d1', 10),
          etag,
          indexedDeadline: indexDeadline(onlineAt('d1', 10)),
          alerts: [silentAlert(record, 200)],
        },
      ]);
      expect(stale.lost).toEqual([{ deviceId: 'd1', moduleId: null }]);
      expect((await store.readMany([record])).get(refKey(record))).toEqual({
        record: onlineAt('d1', 10),
        etag: newEtag,
      });
      expect(await store.listAlerts(10)).toMatchObject({ items: [] });
      expect(await store.listDue(t(10_000), 10)).toEqual([
        { deviceId: 'd1', moduleId: null, deadline: t(130) },
      ]);
    });

    it('keeps one deadline index row per entry, in deadline order, up to a time and a limit', async () => {
      await create(onlineAt('late', 50));
      await create(onlineAt('early', 0));
      await create(onlineAt('middle', 20, 'm'));
      expect(await store.listDue(t(139), 10)).toEqual(
        [
          { deviceId: 'early', moduleId: null, deadline: t(120) },
          { deviceId: 'middle', moduleId: 'm', deadline: t(140) },
        ].slice(0, 1),
      );
      expect(await store.listDue(t(10_000), 2)).toHaveLength(2);
      const all = await store.listDue(t(10_000), 10);
      expect(all.map((d) => d.deadline)).toEqual([t(120), t(140), t(170)]);
      // Moving an entry's deadline moves its row.
      const early = (await store.readMany([{ deviceId: 'early', moduleId: null }])).get(
        'early\u0000',
      )!;
      await store.write([
        {
          ref: refOf(early.record),
          record: onlineAt('early', 100),
          before: early.record,
          etag: early.etag,
          indexedDeadline: t(120),
          alerts: [],
        },
      ]);
      expect(
        (await store.listDue(t(10_000), 10)).map((d) => `${d.deviceId}@${d.deadline}`),
      ).toEqual([`middle@${t(140)}`, `late@${t(170)}`, `early@${t(220)}`]);
    });

    it('removes an entry and its index row, and drops a row alone', async () => {
      const record = onlineAt('d1', 0);
      const etag = await create(record);
      await store.write([
        {
          ref: refOf(record),
          record: null,
          before: record,
          etag,
          indexedDeadline: t(120),
          alerts: [],
        },
      ]);
      expect((await store.readMany([record])).size).toBe(0);
      expect(await store.listDue(t(10_000), 10)).toEqual([]);
      const lonely = await store.write([
        {
          ref: refOf(record),
          record: null,
          before: null,
          etag: null,
          indexedDeadline: t(120),
          alerts: [],
        },
      ]);
      expect(lonely.lost).toEqual([]);
    });

    it('records alerts with their entry, pending until completed, and refuses one twice', async () => {
      const a = onlineAt('a', 0);
      const b = onlineAt('b', 0, 'm');
      await create(a, [silentAlert(a, 120)]);
      await create(b, [silentAlert(b, 130)]);
      expect(await store.listPendingAlerts(10)).toEqual([silentAlert(a, 120), silentAlert(b, 130)]);
      await store.completeAlerts([silentAlert(a, 120)]);
      await store.completeAlerts([silentAlert(a, 120)]);
      expect(await store.listPendingAlerts(10)).toEqual([silentAlert(b, 130)]);
      const current = (await store.readMany([a])).get(refKey(a))!;
      const twice = await store.write([
        {
          ref: refOf(a),
          record: onlineAt('a', 5),
          before: current.record,
          etag: current.etag,
          indexedDeadline: indexDeadline(a),
          alerts: [silentAlert(a, 120)],
        },
      ]);
      expect(twice.lost).toEqual([{ deviceId: 'a', moduleId: null }]);
      const log = await store.listAlerts(10);
      expect(log.items.map(({ id: _id, ...alert }) => alert)).toEqual([
        silentAlert(a, 120),
        silentAlert(b, 130),
      ]);
      expect(new Set(log.items.map((x) => x.id)).size).toBe(2);
    });

    it('pages the alert log oldest first, newest first, or for one device', async () => {
      for (let i = 0; i < 5; i++) {
        const r = onlineAt(`d${i % 2}`, i, `m${i}`);
        await create(r, [silentAlert(r, 200 + i)]);
      }
      const oldest = await allPages((token) => store.listAlerts(2, token));
      expect(oldest.map((a) => a.at)).toEqual([0, 1, 2, 3, 4].map((i) => t(200 + i)));
      const newest = await allPages((token) => store.listAlerts(2, token, { newestFirst: true }));
      expect(newest.map((a) => a.at)).toEqual([4, 3, 2, 1, 0].map((i) => t(200 + i)));
      const one = await allPages((token) => store.listAlerts(2, token, { deviceId: 'd1' }));
      expect(one.map((a) => a.moduleId)).toEqual(['m1', 'm3']);
    });

    it('lists by state in pages, each entry once, without tombstones, and counts the same', async () => {
      const silent = { ...onlineAt('s', 0), state: 'silent' as const, deadline: null };
      await create(silent);
      for (let i = 0; i < 7; i++) await create(onlineAt(`o${i}`, i));
      const tomb = applyLivenessEvents(
        onlineAt('gone', 0),
        [
          {
            kind: 'lifecycle',
            op: 'delete',
            deviceId: 'gone',
            moduleId: null,
            at: t(3),
            generationId: null,
            enabled: null,
          },
        ],
        policy,
      ).next!;
      await create(tomb);
      const online = await allPages((token) => store.listByState('online', 3, token));
      expect(online.map((r) => r.deviceId).sort()).toEqual([
        'o0',
        'o1',
        'o2',
        'o3',
        'o4',
        'o5',
        'o6',
      ]);
      const every = await allPages((token) => store.listByState(undefined, 2, token));
      expect(every.map((r) => r.deviceId).sort()).toEqual([
        'o0',
        'o1',
        'o2',
        'o3',
        'o4',
        'o5',
        'o6',
        's',
      ]);
      expect(await store.countByState()).toEqual({ neverSeen: 0, online: 7, silent: 1 });
    });

    it("reads a device's modules, not the device or other devices", async () => {
      await create(onlineAt('d', 0));
      await create(onlineAt('d', 0, 'm1'));
      await create(onlineAt('d', 0, 'm2'));
      await create(onlineAt('other', 0, 'm1'));
      const modules = await store.readModules('d');
      expect(modules.map((m) => m.record.moduleId).sort()).toEqual(['m1', 'm2']);
    });

    it('keeps the pipeline progress it was given', async () => {
      expect(await store.readProgress()).toEqual([]);
      const progress = [
        { source: '0', newestEnqueued: t(10), processedAt: t(11) },
        { source: '1', newestEnqueued: t(20), processedAt: t(21) },
      ];
      await store.recordProgress(progress);
      expect((await store.readProgress()).sort((x, y) => (x.source < y.source ? -1 : 1))).toEqual(
        progress,
      );
    });
  });
}
