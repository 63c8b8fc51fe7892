import { z } from 'zod';

/** Stored shapes, re-checked on every read (a document edited by hand must not reach a caller). */
const authentication = z.object({
  type: z.enum(['sas', 'selfSigned', 'certificateAuthority', 'none']),
  symmetricKey: z.object({
    primaryKey: z.string().nullable(),
    secondaryKey: z.string().nullable(),
  }),
  x509Thumbprint: z.object({
    primaryThumbprint: z.string().nullable(),
    secondaryThumbprint: z.string().nullable(),
  }),
});

export const deviceDocument = z.object({
  id: z.literal('device'),
  kind: z.literal('device'),
  deviceId: z.string(),
  generationId: z.string(),
  status: z.enum(['enabled', 'disabled']),
  statusReason: z.string().nullable(),
  statusUpdatedTime: z.string(),
  authentication,
  capabilities: z.object({ iotEdge: z.boolean() }),
  deviceScope: z.string().nullable(),
  parentScopes: z.array(z.string()).nullable(),
  _etag: z.string(),
});

export const moduleDocument = z.object({
  id: z.string(),
  kind: z.literal('module'),
  deviceId: z.string(),
  moduleId: z.string(),
  generationId: z.string(),
  managedBy: z.string().nullable(),
  authentication,
  deviceGenerationId: z.string(),
  _etag: z.string(),
});

export type DeviceDocument = z.infer<typeof deviceDocument>;
export type ModuleDocument = z.infer<typeof moduleDocument>;

export const DEVICE_DOCUMENT_ID = 'device';

/** Cosmos ids may not hold '/', '\\', '?' or '#', which module IDs may: encode them away. */
export const moduleDocumentId = (moduleId: string): string =>
  `module.${Buffer.from(moduleId, 'utf8').toString('base64url')}`;
