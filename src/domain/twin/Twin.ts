import { NEVER } from '../identity/never';
import { isForbiddenKey } from '../json/forbiddenKeys';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Metadata of one key: when it last changed, and (desired only) in which section version. */
export interface MetadataNode {
  $lastUpdated: string;
  $lastUpdatedVersion?: number;
  [key: string]: MetadataNode | string | number | undefined;
}

/** `properties.desired` or `properties.reported` as IoT Hub shows it. */
export interface TwinSection {
  $metadata: MetadataNode;
  $version: number;
  [key: string]: JsonValue | MetadataNode | undefined;
}

/** The part of a twin the service writes: tags and desired properties (reported: the device). */
export interface TwinState {
  version: number;
  tags: JsonObject;
  properties: { desired: TwinSection; reported: TwinSection };
}

/** Connection facts, mirrored from the liveness map on each transition. */
export interface TwinConnection {
  connectionState: 'Connected' | 'Disconnected';
  connectionStateUpdatedTime: string;
  lastActivityTime: string;
}

/** The identity facts a twin repeats, so queries can filter on them. */
export interface TwinIdentity {
  deviceId: string;
  moduleId?: string;
  generationId: string;
  status: 'enabled' | 'disabled';
  statusReason: string | null;
  statusUpdateTime: string;
  authenticationType: string;
  x509Thumbprint: { primaryThumbprint: string | null; secondaryThumbprint: string | null };
  capabilities?: { iotEdge: boolean };
  deviceScope?: string | null;
  parentScopes?: string[] | null;
}

/** A twin as stored and served: identity facts, connection facts, state and its etag. */
export type Twin = TwinIdentity & TwinConnection & TwinState & { etag: string };

export const DISCONNECTED: TwinConnection = {
  connectionState: 'Disconnected',
  connectionStateUpdatedTime: NEVER,
  lastActivityTime: NEVER,
};

/** A twin etag as IoT Hub writes it: base64 of the twin version, 8 bytes big-endian. */
export function twinEtag(version: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(version));
  return bytes.toString('base64');
}

export const emptySection = (now: string): TwinSection => ({
  $metadata: { $lastUpdated: now },
  $version: 1,
});

/** The state of a twin that nobody has written yet. */
export const newTwinState = (now: string): TwinState => ({
  version: 1,
  tags: {},
  properties: { desired: emptySection(now), reported: emptySection(now) },
});

/**
 * The user's keys of a section, without `$metadata` and `$version` (nor a prototype key that
 * stored data may hold from before the edge refused them: assigning one would set a prototype).
 */
export function sectionValues(section: TwinSection): JsonObject {
  const values: JsonObject = {};
  for (const [k, v] of Object.entries(section))
    if (!k.startsWith('$') && v !== undefined && !isForbiddenKey(k)) values[k] = v as JsonValue;
  return values;
}
