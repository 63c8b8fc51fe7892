import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import type { LivenessRecord } from '../../domain/liveness/LivenessRecord';
import type { StoredAlert } from '../../ports/LivenessStore';

const iso = z.string();

/** The stored record, re-checked on every read. */
export const livenessRecordSchema = z.object({
  deviceId: z.string(),
  moduleId: z.string().nullable(),
  generationId: z.string().nullable(),
  createdAt: iso,
  deletedAt: iso.nullable(),
  enabled: z.boolean(),
  enabledChangedAt: iso,
  state: z.enum(['neverSeen', 'online', 'silent']),
  stateSince: iso,
  lastSeen: iso.nullable(),
  lastHeartbeat: iso.nullable(),
  declaredIntervalSeconds: z.number().nullable(),
  declaredAt: iso.nullable(),
  lastSilentAt: iso.nullable(),
  // Absent from entries written before connection state events were read.
  silentReason: z.enum(['heartbeatMissed', 'disconnected']).nullable().default(null),
  connectionState: z.enum(['connected', 'disconnected']).nullable().default(null),
  connectionStateAt: iso.nullable().default(null),
  connectionSequence: z
    .string()
    .regex(/^[0-9A-F]{64}$/)
    .nullable()
    .default(null),
  configuredIntervalSeconds: z.number().nullable(),
  configuredGraceFactor: z.number().nullable(),
  deadline: iso.nullable(),
  filedDeadline: iso.nullable().optional(),
}) satisfies z.ZodType<LivenessRecord>;

export const storedAlertSchema = z.object({
  id: z.string(),
  kind: z.enum(['silent', 'recovered']),
  deviceId: z.string(),
  moduleId: z.string().nullable(),
  generationId: z.string().nullable(),
  at: iso,
  lastSeen: iso.nullable(),
  reason: z.enum(['heartbeatMissed', 'disconnected']).optional(),
  outageSeconds: z.number().optional(),
}) satisfies z.ZodType<StoredAlert>;

/** State rows carry the record as JSON (exact round trip, nulls included) plus `state` to filter on. */
export type StateEntity = TableEntity<{ state: string; record: string }>;

/** Alert rows: the alert as JSON; the device's own rows also its ID, to filter on. */
export type AlertEntity = TableEntity<{ alert: string; deviceId?: string }>;

/** A state index row: the entry's identity, and its record unless it is online. */
export type IndexEntity = TableEntity<{ deviceId: string; moduleId: string; record?: string }>;
