import { z } from 'zod';
import type { DeviceLedger } from '../../domain/lifecycle/DeviceLedger';

/** The ledger of a device ID: one document in its partition (see DeviceLedger). */
export const LEDGER_DOCUMENT_ID = 'ledger';

/** A deleted device's ledger is kept this long, then expires (sequence numbers stay rising). */
export const DELETED_LEDGER_TTL_SECONDS = 30 * 86_400;

export const ledgerDocument = z.object({
  id: z.literal(LEDGER_DOCUMENT_ID),
  kind: z.literal('ledger'),
  deviceId: z.string(),
  sequence: z.number().int().min(0),
  generationId: z.string().nullable(),
  modules: z.number().int().min(0),
  hadModules: z.boolean(),
  _etag: z.string(),
});

export function toLedgerDocument(deviceId: string, ledger: DeviceLedger) {
  return {
    id: LEDGER_DOCUMENT_ID,
    kind: 'ledger' as const,
    deviceId,
    ...ledger,
    // Only a deleted device's ledger expires; a live one keeps the container's default (never).
    ...(ledger.generationId === null ? { ttl: DELETED_LEDGER_TTL_SECONDS } : {}),
  };
}

const notification = z.object({
  partitionKey: z.string(),
  properties: z.record(z.string(), z.string()),
  systemProperties: z.record(z.string(), z.string()),
  body: z.record(z.string(), z.unknown()),
});

/** Notifications of one committed write, waiting for the relay; removed once published. */
export const outboxDocument = z.object({
  id: z.string().startsWith('outbox.'),
  kind: z.literal('outbox'),
  deviceId: z.string(),
  notifications: z.array(notification).min(1),
  _etag: z.string(),
});

/** Ids sort in sequence order within the partition (numbers are at most 17 digits). */
export const outboxDocumentId = (firstSequence: number): string =>
  `outbox.${String(firstSequence).padStart(17, '0')}`;
