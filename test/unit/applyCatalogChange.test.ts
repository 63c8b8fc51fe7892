import { describe, expect, it } from 'vitest';
import {
  applyCatalogChange,
  type CatalogChange,
} from '../../src/domain/catalog/applyCatalogChange';
import type { CatalogEntry } from '../../src/domain/catalog/CatalogEntry';

const change = (sequence: number, over: Partial<CatalogChange> = {}): CatalogChange => ({
  deviceId: 'd',
  moduleId: null,
  op: 'create',
  opType: 'createDeviceIdentity',
  at: new Date(sequence).toISOString(),
  sequence,
  generationId: `g${sequence}`,
  status: 'enabled',
  ...over,
});

/** A seeded shuffle, so a failure can be reproduced. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('applyCatalogChange', () => {
  const history = [
    change(1),
    change(2, {
      op: 'status',
      opType: 'updateDeviceIdentityStatus',
      status: 'disabled',
      generationId: 'g1',
    }),
    change(3, {
      op: 'delete',
      opType: 'deleteDeviceIdentity',
      generationId: 'g1',
      status: 'disabled',
    }),
    change(4, { generationId: 'g4' }),
  ];

  it('ends in the newest change whatever the order and repeats of delivery', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const deliveries = shuffled([...history, ...history, history[1]!], seed);
      let entry: CatalogEntry | null = null;
      for (const c of deliveries) entry = applyCatalogChange(entry, c) ?? entry;
      expect(entry).toMatchObject({
        sequence: 4,
        deleted: false,
        generationId: 'g4',
        status: 'enabled',
      });
    }
  });

  it('ignores a duplicate and an older change', () => {
    const entry = applyCatalogChange(null, history[2]!)!;
    expect(entry).toMatchObject({ deleted: true, status: null });
    expect(applyCatalogChange(entry, history[2]!)).toBeNull();
    expect(applyCatalogChange(entry, history[0]!)).toBeNull();
  });

  it('keeps no status for modules', () => {
    expect(applyCatalogChange(null, change(1, { moduleId: 'm' }))?.status).toBeNull();
  });

  it('patches or replaces the tags of a live entry, and nothing else', () => {
    const created = applyCatalogChange(
      null,
      change(1, { tags: { kind: 'set', values: { a: 1, b: { c: 2 } } } }),
    )!;
    const twin = (sequence: number, kind: 'set' | 'merge', values: object) =>
      change(sequence, {
        op: 'twin',
        opType: 'updateTwin',
        status: null,
        generationId: null,
        tags: { kind, values } as CatalogChange['tags'],
      });
    const patched = applyCatalogChange(
      created,
      twin(2, 'merge', { b: { c: null, d: 3 }, a: null }),
    )!;
    expect(patched).toMatchObject({
      tags: { b: { d: 3 } },
      status: 'enabled',
      generationId: 'g1',
      sequence: 2,
    });
    expect(applyCatalogChange(patched, twin(3, 'set', { z: true }))?.tags).toEqual({ z: true });
    // A repeat, an identity never seen, and a deleted one: nothing to patch.
    expect(applyCatalogChange(patched, twin(2, 'merge', { x: 1 }))).toBeNull();
    expect(applyCatalogChange(null, twin(5, 'merge', { x: 1 }))).toBeNull();
    const deleted = applyCatalogChange(
      patched,
      change(4, { op: 'delete', opType: 'deleteDeviceIdentity' }),
    )!;
    expect(deleted.tags).toEqual({});
    expect(applyCatalogChange(deleted, twin(6, 'merge', { x: 1 }))).toBeNull();
  });
});
