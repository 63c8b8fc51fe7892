import { describe, expect, it } from 'vitest';
import { newTwinState, sectionValues } from '../../src/domain/twin/Twin';
import { updateTwinState } from '../../src/domain/twin/updateTwinState';
import { errorOf } from '../support/errorOf';

const t0 = '2026-01-01T00:00:00.000Z';
const t1 = '2026-01-02T00:00:00.000Z';
const t2 = '2026-01-03T00:00:00.000Z';

describe('twin updates', () => {
  it('merges: objects key by key, null deletes, versions and metadata move', () => {
    const first = updateTwinState(
      newTwinState(t0),
      {
        tags: { site: 'a', owner: { team: 'x', on: true } },
        desired: { rate: 1, cfg: { a: 1, b: 2 } },
      },
      'merge',
      t1,
    );
    expect(first.version).toBe(2);
    expect(first.properties.desired.$version).toBe(2);
    const second = updateTwinState(
      first,
      { tags: { owner: { on: null }, site: null, floor: 3 }, desired: { cfg: { b: null, c: 3 } } },
      'merge',
      t2,
    );
    expect(second.tags).toEqual({ owner: { team: 'x' }, floor: 3 });
    expect(sectionValues(second.properties.desired)).toEqual({ rate: 1, cfg: { a: 1, c: 3 } });
    const meta = second.properties.desired.$metadata as any;
    expect(meta.$lastUpdated).toBe(t2);
    expect(meta.rate).toEqual({ $lastUpdated: t1, $lastUpdatedVersion: 2 });
    expect(meta.cfg.$lastUpdated).toBe(t2);
    expect(meta.cfg.a).toEqual({ $lastUpdated: t1, $lastUpdatedVersion: 2 });
    expect(meta.cfg.c).toEqual({ $lastUpdated: t2, $lastUpdatedVersion: 3 });
    expect(meta.cfg).not.toHaveProperty('b');
    // Reported is the device's: untouched.
    expect(second.properties.reported).toEqual(newTwinState(t0).properties.reported);
    // The input was not changed in place.
    expect(first.tags).toEqual({ site: 'a', owner: { team: 'x', on: true } });
  });

  it("merges a device's reported properties: their own $version, metadata without versions", () => {
    const first = updateTwinState(
      newTwinState(t0),
      { reported: { fw: '1', radio: { rssi: -70, on: true } } },
      'merge',
      t1,
    );
    const second = updateTwinState(first, { reported: { radio: { on: null } } }, 'merge', t2);
    expect(second.version).toBe(3);
    expect(second.properties.reported.$version).toBe(3);
    expect(second.properties.desired).toEqual(newTwinState(t0).properties.desired);
    expect(sectionValues(second.properties.reported)).toEqual({ fw: '1', radio: { rssi: -70 } });
    const meta = second.properties.reported.$metadata as any;
    expect(meta.$lastUpdated).toBe(t2);
    expect(meta.fw).toEqual({ $lastUpdated: t1 });
    expect(meta.radio.rssi).toEqual({ $lastUpdated: t1 });
    expect(meta.radio).not.toHaveProperty('on');
    expect(
      errorOf(() => updateTwinState(first, { reported: { 'a.b': 1 } }, 'merge', t2)),
    ).toMatchObject({ code: 'ArgumentInvalid' });
  });

  it('replaces whole sections, leaving a section that is not given', () => {
    const base = updateTwinState(
      newTwinState(t0),
      { tags: { a: 1 }, desired: { x: 1 } },
      'merge',
      t1,
    );
    const replaced = updateTwinState(base, { tags: { b: 2 } }, 'replace', t2);
    expect(replaced.tags).toEqual({ b: 2 });
    expect(replaced.properties.desired).toEqual(base.properties.desired);
    const desired = updateTwinState(base, { desired: { y: { z: 1 } } }, 'replace', t2);
    expect(sectionValues(desired.properties.desired)).toEqual({ y: { z: 1 } });
    expect((desired.properties.desired.$metadata as any).y.z.$lastUpdated).toBe(t2);
  });

  it('refuses what the limits refuse, naming the key, and leaves nothing changed', () => {
    const base = newTwinState(t0);
    const cases: [object, RegExp][] = [
      [{ tags: { 'a\u0001': 1 } }, /control character/],
      [{ tags: { a: [1, null] } }, /tags\.a\[1\] is null/],
      [{ tags: { a: Number.NaN } }, /not a finite number/],
      [{ desired: { s: 'é'.repeat(2049) } }, /properties\.desired\.s is longer than 4 KB/],
    ];
    for (const [change, message] of cases)
      expect(errorOf(() => updateTwinState(base, change, 'merge', t1)).message).toMatch(message);
    expect(
      errorOf(() => updateTwinState(base, { tags: { a: null } }, 'replace', t1)).message,
    ).toMatch(/tags\.a is null/);
    // 32 KB is counted after the merge.
    const half = {
      a: 'x'.repeat(4000),
      b: 'x'.repeat(4000),
      c: 'x'.repeat(4000),
      d: 'x'.repeat(4000),
    };
    const once = updateTwinState(base, { tags: { one: half, two: half } }, 'merge', t1);
    expect(
      errorOf(() =>
        updateTwinState(once, { tags: { three: half, four: half, five: half } }, 'merge', t1),
      ).message,
    ).toMatch(/tags would be \d+ bytes/);
  });

  it('counts nested arrays toward the 10-level depth limit, naming the path', () => {
    const arrays = (levels: number): unknown => (levels === 0 ? 1 : [arrays(levels - 1)]);
    // The section is level 1: `a` holding 9 nested arrays reaches level 10, 10 arrays level 11.
    const ok = updateTwinState(newTwinState(t0), { tags: { a: arrays(9) } as never }, 'merge', t1);
    expect(ok.tags.a).toEqual(arrays(9));
    const error = errorOf(() =>
      updateTwinState(newTwinState(t0), { desired: { a: arrays(10) } as never }, 'merge', t1),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toBe(
      `properties.desired.a${'[0]'.repeat(9)} is nested more than 10 levels deep`,
    );
    const mixed = errorOf(() =>
      updateTwinState(
        newTwinState(t0),
        { tags: { a: [{ b: [{ c: [{ d: [{ e: [{}] }] }] }] }] } },
        'merge',
        t1,
      ),
    );
    expect(mixed.message).toMatch(
      /^tags\.a\[0\]\.b\[0\]\.c\[0\]\.d\[0\]\.e.* is nested more than 10/,
    );
  });

  it('refuses prototype keys in a change that bypassed the edge, naming them', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const hostile = JSON.parse(`{"x":{"${key}":{"polluted":"yes"}}}`) as never;
      for (const change of [{ tags: hostile }, { desired: hostile }])
        for (const mode of ['merge', 'replace'] as const)
          expect(
            errorOf(() => updateTwinState(newTwinState(t0), change, mode, t1)).message,
          ).toContain(`'${key}'`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges over stored data holding prototype keys without reaching a prototype', () => {
    // As PUT stored such keys before the edge refused them: own data properties.
    const stored = newTwinState(t0);
    stored.tags = JSON.parse(
      '{"__proto__":{"polluted":"tags"},"a":{"__proto__":{"polluted":"a"},"constructor":{"prototype":{"polluted":"c"}}}}',
    ) as never;
    stored.properties.desired = JSON.parse(
      `{"__proto__":{"polluted":"desired"},"cfg":{"__proto__":{"polluted":"cfg"}},"$version":1,
        "$metadata":{"$lastUpdated":"${t0}","__proto__":{"polluted":"meta"},"cfg":{"$lastUpdated":"${t0}","__proto__":{"polluted":"m"}}}}`,
    ) as never;
    const next = updateTwinState(
      stored,
      {
        tags: { a: { b: { c: 1 } }, d: { e: 2 } },
        desired: { cfg: { rate: 1, deep: { x: 1 } }, other: { y: 2 } },
      },
      'merge',
      t1,
    );
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(next.tags)).toBe(Object.prototype);
    expect((next.tags.a as Record<string, unknown>).b).toEqual({ c: 1 });
    expect(next.tags.d).toEqual({ e: 2 });
    // The top-level stored key is dropped; a nested one stays what it was: an own data key.
    const desired = sectionValues(next.properties.desired);
    expect(Object.keys(desired)).toEqual(['cfg', 'other']);
    expect(desired.other).toEqual({ y: 2 });
    const desiredCfg = desired.cfg as Record<string, unknown>;
    expect(Object.getPrototypeOf(desiredCfg)).toBe(Object.prototype);
    expect(desiredCfg).toMatchObject({ rate: 1, deep: { x: 1 } });
    expect(Object.getOwnPropertyDescriptor(desiredCfg, '__proto__')?.value).toEqual({
      polluted: 'cfg',
    });
    const meta = next.properties.desired.$metadata as Record<string, any>;
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(meta.cfg)).toBe(Object.prototype);
    expect(meta.cfg.rate).toEqual({ $lastUpdated: t1, $lastUpdatedVersion: 2 });
  });
});
