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
});
