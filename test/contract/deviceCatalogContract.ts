import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/domain/catalog/CatalogEntry';
import type { DeviceCatalog } from '../../src/ports/DeviceCatalog';

export const catalogEntry = (
  deviceId: string,
  moduleId: string | null,
  over: Partial<CatalogEntry> = {},
): CatalogEntry => ({
  deviceId,
  moduleId,
  status: moduleId === null ? 'enabled' : null,
  generationId: 'g1',
  tags: { site: { building: 'b1', floors: [1, 2] } },
  sequence: 1,
  deleted: false,
  lastChange: 'createDeviceIdentity',
  lastChangeTime: '2026-01-01T00:00:00.000Z',
  ...over,
});

/** What every DeviceCatalog must do: run against the fake and the Table storage adapter. */
export function deviceCatalogContract(name: string, make: () => Promise<DeviceCatalog>): void {
  describe(`DeviceCatalog contract: ${name}`, () => {
    let catalog: DeviceCatalog;
    beforeEach(async () => {
      catalog = await make();
    });

    it('reads back an entry as written, and null for one never written', async () => {
      const entry = catalogEntry('d1', null);
      expect(await catalog.write(entry, null)).toBe(true);
      const stored = await catalog.read({ deviceId: 'd1', moduleId: null });
      expect(stored).toEqual({ entry, etag: expect.any(String) });
      expect(await catalog.read({ deviceId: 'd1', moduleId: 'm' })).toBeNull();
      expect(await catalog.read({ deviceId: 'd2', moduleId: null })).toBeNull();
    });

    it('writes only on the etag it was read with, and creates only what is absent', async () => {
      const ref = { deviceId: 'd1', moduleId: 'm1' };
      expect(await catalog.write(catalogEntry('d1', 'm1'), null)).toBe(true);
      expect(await catalog.write(catalogEntry('d1', 'm1', { sequence: 9 }), null)).toBe(false);
      const first = (await catalog.read(ref))!;
      const next = catalogEntry('d1', 'm1', { sequence: 2, tags: {} });
      expect(await catalog.write(next, first.etag)).toBe(true);
      const second = (await catalog.read(ref))!;
      expect(second.entry).toEqual(next);
      expect(second.etag).not.toBe(first.etag);
      expect(await catalog.write(catalogEntry('d1', 'm1', { sequence: 3 }), first.etag)).toBe(
        false,
      );
      expect((await catalog.read(ref))!.entry.sequence).toBe(2);
    });

    it('lists every entry, deleted ones and modules included', async () => {
      const entries = [
        catalogEntry('a', null),
        catalogEntry('a', 'm', { deleted: true, lastChange: 'deleteModuleIdentity' }),
        catalogEntry('b', null, { status: null, deleted: true }),
      ];
      for (const e of entries) expect(await catalog.write(e, null)).toBe(true);
      const key = (e: CatalogEntry) => `${e.deviceId}/${e.moduleId ?? ''}`;
      expect((await catalog.list()).sort((x, y) => (key(x) < key(y) ? -1 : 1))).toEqual(entries);
    });

    it('does not let a caller change what it holds through an entry it read or wrote', async () => {
      const entry = catalogEntry('d1', null);
      await catalog.write(entry, null);
      (entry.tags as { site: { building: string } }).site.building = 'changed';
      const stored = (await catalog.read({ deviceId: 'd1', moduleId: null }))!;
      expect(stored.entry.tags).toEqual({ site: { building: 'b1', floors: [1, 2] } });
    });
  });
}
