import { describe, expect, it } from 'vitest';
import { freshTwin } from '../../src/adapters/cosmos/twinDocuments';
import { buildTwinChangeNotification } from '../../src/domain/lifecycle/buildTwinChangeNotification';
import { newTwinState, twinEtag, type JsonObject, type Twin } from '../../src/domain/twin/Twin';
import { diffValues } from '../../src/domain/twin/diffValues';
import { mergeValues } from '../../src/domain/twin/mergeValues';
import { updateTwinState, type TwinChange } from '../../src/domain/twin/updateTwinState';

const t0 = '2026-01-01T00:00:00.000Z';
const t1 = '2026-01-02T00:00:00.000Z';
const context = { hubName: 'testhub', now: new Date(t1) };

const identity = {
  deviceId: 'dev-1',
  generationId: '1',
  status: 'enabled' as const,
  statusReason: null,
  statusUpdateTime: t0,
  authenticationType: 'sas',
  x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
};

/** A twin with the given tags and desired properties, as a first PATCH leaves it. */
function twinWith(change: TwinChange, moduleId?: string): Twin {
  const base = freshTwin(moduleId ? { ...identity, moduleId } : identity, newTwinState(t0));
  return written(base, change, 'merge', t0);
}

function written(twin: Twin, change: TwinChange, mode: 'merge' | 'replace', at = t1): Twin {
  const state = updateTwinState(twin, change, mode, at);
  return { ...twin, ...state, etag: twinEtag(state.version) };
}

describe('buildTwinChangeNotification', () => {
  const before = twinWith({
    tags: { site: 'a', location: { building: 'b1', floor: 2 }, owner: 'x' },
    desired: { rate: 5, cfg: { mode: 'eco', level: 1 } },
  });

  it('sends what a PATCH changed: nested tags key by key, null for removed keys', () => {
    const patch = { tags: { location: { floor: 3 }, owner: null, team: 'y', site: 'a' } };
    const after = written(before, patch, 'merge');
    const n = buildTwinChangeNotification('updateTwin', before, after, context)!;
    // `site` was written with the value it had: not a change.
    expect(n.body).toEqual({
      version: after.version,
      tags: { location: { floor: 3 }, owner: null, team: 'y' },
    });
    // A consumer that merges the body into its copy has the registry's tags.
    expect(mergeValues(structuredClone(before.tags), n.body.tags as JsonObject)).toEqual(
      after.tags,
    );
  });

  it("sends changed desired properties with their metadata and the section's $version", () => {
    const after = written(before, { desired: { cfg: { level: 2 }, rate: null } }, 'merge');
    const n = buildTwinChangeNotification('updateTwin', before, after, context)!;
    const desired = (n.body.properties as { desired: Record<string, unknown> }).desired;
    expect(n.body).not.toHaveProperty('tags');
    expect(desired).toMatchObject({ cfg: { level: 2 }, rate: null, $version: 3 });
    expect(desired.$metadata).toEqual({
      $lastUpdated: t1,
      $lastUpdatedVersion: 3,
      cfg: {
        $lastUpdated: t1,
        $lastUpdatedVersion: 3,
        level: { $lastUpdated: t1, $lastUpdatedVersion: 3 },
      },
    });
  });

  it('sends changed reported properties (a device wrote them) with their metadata and $version', () => {
    const after = written(before, { reported: { fw: '2', radio: { on: true } } }, 'merge');
    const n = buildTwinChangeNotification('updateTwin', before, after, context)!;
    expect(n.body).toEqual({
      version: after.version,
      properties: {
        reported: {
          fw: '2',
          radio: { on: true },
          $metadata: {
            $lastUpdated: t1,
            fw: { $lastUpdated: t1 },
            radio: { $lastUpdated: t1, on: { $lastUpdated: t1 } },
          },
          $version: 2,
        },
      },
    });
  });

  it('sends the whole twin for a PUT: IDs, etag, version, all tags and properties', () => {
    const after = written(before, { tags: { site: 'z' } }, 'replace');
    const n = buildTwinChangeNotification('replaceTwin', before, after, context)!;
    expect(n.body).toEqual({
      deviceId: 'dev-1',
      etag: after.etag,
      version: after.version,
      tags: { site: 'z' },
      properties: after.properties,
    });
    expect(n.properties.opType).toBe('replaceTwin');
  });

  it('sends nothing when a write changes nothing', () => {
    const same = { tags: { site: 'a', location: { floor: 2 } }, desired: { rate: 5 } };
    expect(
      buildTwinChangeNotification('updateTwin', before, written(before, same, 'merge'), context),
    ).toBeNull();
    const whole = { tags: structuredClone(before.tags) };
    expect(
      buildTwinChangeNotification(
        'replaceTwin',
        before,
        written(before, whole, 'replace'),
        context,
      ),
    ).toBeNull();
    expect(
      buildTwinChangeNotification(
        'updateTwin',
        before,
        written(before, { tags: { gone: null } }, 'merge'),
        context,
      ),
    ).toBeNull();
  });

  it("carries IoT Hub's properties: module twins name their module", () => {
    const module = twinWith({ tags: { role: 'a' } }, 'mod-1');
    const n = buildTwinChangeNotification(
      'updateTwin',
      module,
      written(module, { tags: { role: 'b' } }, 'merge'),
      context,
    )!;
    expect(n.partitionKey).toBe('dev-1');
    expect(n.properties).toEqual({
      opType: 'updateTwin',
      hubName: 'testhub',
      deviceId: 'dev-1',
      moduleId: 'mod-1',
      operationTimestamp: t1,
      'iothub-message-schema': 'twinChangeNotification',
    });
    expect(n.systemProperties).toMatchObject({
      'iothub-message-source': 'twinChangeEvents',
      'iothub-connection-device-id': 'dev-1',
      'iothub-connection-module-id': 'mod-1',
      'content-type': 'application/json',
    });
  });
});

describe('diffValues', () => {
  it('is a patch that merges back to the new values, arrays and type changes included', () => {
    const cases: [JsonObject, JsonObject][] = [
      [
        { a: [1, 2], b: { c: 1 } },
        { a: [1, 2, 3], b: 5 },
      ],
      [{ a: 1 }, { a: { b: { c: true } } }],
      [{ a: { b: { c: 1, d: 2 } } }, { a: { b: {} } }],
      [{}, { x: 'y' }],
      [{ x: 'y' }, {}],
    ];
    for (const [before, after] of cases)
      expect(mergeValues(structuredClone(before), diffValues(before, after))).toEqual(after);
    expect(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({});
  });
});
