import type { Container, JSONObject, OperationInput, OperationResponse } from '@azure/cosmos';
import { z } from 'zod';
import type { IdentityRef } from '../../ports/LivenessStore';
import { LedgerConflict } from '../../ports/RegistryStore';
import {
  SessionConflict,
  type SessionRecord,
  type SessionStore,
  type SessionTransition,
  type StoredSession,
} from '../../ports/SessionStore';
import { LEDGER_DOCUMENT_ID, outboxDocumentId, toLedgerDocument } from './lifecycleDocuments';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

/** A closed session's record is kept this long (as a deleted device's ledger), then expires. */
const CLOSED_SESSION_TTL_SECONDS = 30 * 86_400;

const sessionDocument = z.object({
  id: z.string().startsWith('session'),
  kind: z.literal('session'),
  deviceId: z.string(),
  moduleId: z.string().nullable(),
  owner: z.string(),
  sessionId: z.string(),
  connected: z.boolean(),
  changedAt: z.string(),
  methodsUrl: z.string().optional(),
  _etag: z.string(),
});

const sessionDocumentId = (moduleId: string | null): string =>
  moduleId === null ? 'session' : `session.${moduleId}`;

const fromDocument = (doc: unknown): StoredSession => {
  const { _etag, id: _id, kind: _kind, methodsUrl, ...session } = sessionDocument.parse(doc);
  return { session: methodsUrl === undefined ? session : { ...session, methodsUrl }, etag: _etag };
};

/**
 * Session records are documents of the identity container, in the device's partition, so a
 * transition commits with the ledger and the outbox record in one transactional batch (the
 * relay publishes the events as it publishes lifecycle notifications).
 */
export class CosmosSessionStore implements SessionStore {
  constructor(private readonly container: Container) {}

  async readSession(ref: IdentityRef): Promise<StoredSession | null> {
    try {
      const { resource } = await this.container
        .item(sessionDocumentId(ref.moduleId), ref.deviceId)
        .read<JSONObject>();
      return resource ? fromDocument(resource) : null;
    } catch (error) {
      if (isCosmosNotFound(error)) return null;
      throw translateCosmosError(error, {});
    }
  }

  async commit(t: SessionTransition): Promise<StoredSession> {
    const { deviceId, moduleId } = t.next;
    // A device registered before ledgers existed gets one now; its module count is unknown,
    // so it is marked as having had modules (listing them then queries).
    const ledger = toLedgerDocument(
      deviceId,
      t.ledger.etag === null
        ? { sequence: t.sequence, generationId: t.generationId, modules: 0, hadModules: true }
        : { ...t.ledger.ledger, sequence: t.sequence },
    );
    const session = {
      id: sessionDocumentId(moduleId),
      kind: 'session',
      ...t.next,
      ...(t.next.connected ? {} : { ttl: CLOSED_SESSION_TTL_SECONDS }),
    };
    const operations: OperationInput[] = [
      t.ledger.etag === null
        ? { operationType: 'Create', resourceBody: ledger }
        : {
            operationType: 'Replace',
            id: LEDGER_DOCUMENT_ID,
            resourceBody: ledger,
            ifMatch: t.ledger.etag,
          },
      t.expected === null
        ? { operationType: 'Create', resourceBody: session }
        : { operationType: 'Replace', id: session.id, resourceBody: session, ifMatch: t.expected },
    ];
    const first = t.notifications[0];
    if (first)
      operations.push({
        operationType: 'Create',
        resourceBody: {
          id: outboxDocumentId(Number(first.properties.lifecycleSequence)),
          kind: 'outbox',
          deviceId,
          notifications: t.notifications as unknown as JSONObject[],
        },
      });
    let results: OperationResponse[];
    try {
      results = (await this.container.items.batch(operations, deviceId)).result ?? [];
    } catch (error) {
      throw translateCosmosError(error, {});
    }
    const failed = results.findIndex((r) => r.statusCode >= 400 && r.statusCode !== 424);
    if (failed === 1) throw new SessionConflict(t.next);
    if (failed >= 0) {
      const status = (results[failed] as OperationResponse).statusCode;
      // The ledger moved (412), was created meanwhile (409), or the outbox id is taken (409).
      if (status === 412 || status === 409 || status === 404) throw new LedgerConflict(deviceId);
      throw translateCosmosError({ statusCode: status }, {});
    }
    return fromDocument((results[1] as OperationResponse).resourceBody);
  }

  async connectedThrough(owner: string): Promise<SessionRecord[]> {
    const { resources } = await this.container.items
      .query<JSONObject>({
        query:
          "SELECT * FROM c WHERE c.kind = 'session' AND c.owner = @owner AND c.connected = true",
        parameters: [{ name: '@owner', value: owner }],
      })
      .fetchAll();
    return resources.map((d) => fromDocument(d).session);
  }
}
