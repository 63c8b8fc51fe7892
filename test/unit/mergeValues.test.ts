import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject, MetadataNode } from '../../src/domain/twin/Twin';
import { mergeValues, mergeWithMetadata, metadataOf } from '../../src/domain/twin/mergeValues';

const t1 = '2026-01-02T00:00:00.000Z';
const stamp = { $lastUpdated: t1, $lastUpdatedVersion: 2 };
const json = (text: string) => JSON.parse(text) as JsonObject;
const probe = () => ({}) as Record<string, unknown>;

/** The merges with no validation in front of them: hostile patches and hostile stored values. */
describe('twin merges', () => {
  // Should a merge ever pollute, the rest of the run must not inherit it.
  afterEach(() => {
    for (const key of ['polluted', 'x']) delete (Object.prototype as Record<string, unknown>)[key];
  });

  const hostilePatches = ['__proto__', 'constructor', 'prototype'].flatMap((key) => [
    `{"${key}":{"polluted":"yes"}}`,
    `{"a":{"${key}":{"polluted":"yes"}}}`,
    `{"constructor":{"${key}":{"polluted":"yes"}}}`,
  ]);

  it('never write a prototype key a patch holds, at any depth', () => {
    for (const patch of hostilePatches) {
      const values = mergeValues(json('{"a":{"b":1}}'), json(patch));
      expect(probe().polluted, patch).toBeUndefined();
      expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
      const merged = mergeWithMetadata(
        json('{"a":{"b":1}}'),
        { $lastUpdated: t1, a: { $lastUpdated: t1 } },
        json(patch),
        stamp,
      );
      expect(probe().polluted, patch).toBeUndefined();
      expect(Object.getPrototypeOf(merged.values)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(merged.metadata)).toBe(Object.prototype);
      const meta = metadataOf(json(patch), stamp);
      expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
      expect(JSON.stringify(meta)).not.toContain('polluted');
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('merge into stored values that hold prototype keys without reaching a prototype', () => {
    // As PUT stored them before the edge refused them: own data properties.
    const stored = () =>
      json('{"__proto__":{"x":1},"a":{"__proto__":{"x":2},"b":1},"constructor":{"x":3}}');
    const storedMeta = () =>
      JSON.parse(
        `{"$lastUpdated":"${t1}","__proto__":{"x":4},"a":{"$lastUpdated":"${t1}","__proto__":{"x":5}}}`,
      ) as MetadataNode;
    const patch = json('{"a":{"c":2},"d":{"e":3},"constructor":{"y":1}}');
    const values = mergeValues(stored(), patch);
    const merged = mergeWithMetadata(stored(), storedMeta(), patch, stamp);
    for (const node of [values, values.a, merged.values, merged.values.a, merged.metadata]) {
      expect(Object.getPrototypeOf(node)).toBe(Object.prototype);
    }
    expect(values.a).toMatchObject({ b: 1, c: 2 });
    expect(values.d).toEqual({ e: 3 });
    expect(merged.metadata.a).toMatchObject({ c: stamp, $lastUpdated: t1 });
    expect(probe().x).toBeUndefined();
    expect(probe().polluted).toBeUndefined();
  });
});
