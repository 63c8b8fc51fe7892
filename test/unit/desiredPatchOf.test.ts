import { describe, expect, it } from 'vitest';
import { desiredPatchOf } from '../../src/domain/twin/desiredPatchOf';

describe('desiredPatchOf', () => {
  it("takes a twin change's desired keys and $version, without metadata", () => {
    expect(
      desiredPatchOf({
        version: 5,
        properties: {
          desired: { rate: 2, gone: null, $metadata: { $lastUpdated: 'x' }, $version: 4 },
        },
      }),
    ).toEqual({ rate: 2, gone: null, $version: 4 });
  });

  it('is null for a change that left desired properties alone, or a body it cannot read', () => {
    expect(desiredPatchOf({ version: 5, tags: { a: 1 } })).toBeNull();
    expect(desiredPatchOf({ properties: { reported: { a: 1, $version: 2 } } })).toBeNull();
    expect(desiredPatchOf({ properties: { desired: { a: 1 } } })).toBeNull();
    expect(desiredPatchOf('nope')).toBeNull();
    expect(desiredPatchOf(null)).toBeNull();
  });
});
