import type { PatchOperation } from '@azure/cosmos';
import type { Twin, TwinIdentity, TwinState } from '../../domain/twin/Twin';
import { DISCONNECTED, twinEtag } from '../../domain/twin/Twin';
import { FORBIDDEN_KEYS } from '../../domain/json/forbiddenKeys';
import { moduleDocumentId } from './identityDocuments';

/**
 * A twin is a document of its own next to its identity, in the device's partition: the
 * identity's etag moves only with the identity, the twin's only with the twin, and both are
 * written in one transactional batch when an identity changes, so they never disagree. The
 * document holds the twin in IoT Hub's wire shape, so queries address its fields directly.
 */
export const twinDocumentId = (moduleId: string | null): string =>
  moduleId === null ? 'twin' : `twin.${moduleDocumentId(moduleId)}`;

export type TwinDocument = Twin & { id: string; kind: 'twin'; _etag?: string };

// And the keys that would set a prototype if assigned, should a stored document hold one.
const SYSTEM = new Set([
  'id',
  'kind',
  '_etag',
  '_rid',
  '_ts',
  '_self',
  '_attachments',
  '_lsn',
  ...FORBIDDEN_KEYS,
]);

export function toTwinDocument(twin: Twin): TwinDocument {
  return { id: twinDocumentId(twin.moduleId ?? null), kind: 'twin', ...twin };
}

/** The twin of a stored document (system and bookkeeping fields dropped). */
export function fromTwinDocument(doc: Record<string, unknown>): Twin {
  const twin: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!SYSTEM.has(k)) twin[k] = v;
  return twin as unknown as Twin;
}

/** A whole twin for an identity: given state (or a new one), not yet seen connected. */
export function freshTwin(identity: TwinIdentity, state: TwinState): Twin {
  return { ...identity, ...DISCONNECTED, ...state, etag: twinEtag(state.version) };
}

/** The identity facts of a twin, set in place (at most 10 operations per patch). */
export function identityPatch(identity: TwinIdentity): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const [key, value] of Object.entries(identity) as [string, unknown][])
    if (key !== 'deviceId' && key !== 'moduleId')
      ops.push({ op: 'set', path: `/${key}`, value: value ?? null });
  return ops;
}
