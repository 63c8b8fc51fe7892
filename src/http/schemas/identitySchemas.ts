import { z } from 'zod';
import { caseInsensitiveEnum } from './caseInsensitiveEnum';

const text = z.string().nullable().optional();

export const authenticationSchema = z
  .strictObject({
    type: caseInsensitiveEnum(
      ['sas', 'selfSigned', 'certificateAuthority', 'none'] as const,
      'authentication.type',
    ).optional(),
    symmetricKey: z.strictObject({ primaryKey: text, secondaryKey: text }).nullable().optional(),
    x509Thumbprint: z
      .strictObject({ primaryThumbprint: text, secondaryThumbprint: text })
      .nullable()
      .optional(),
  })
  .nullable()
  .optional()
  .transform((a) => a ?? undefined);

/** Read-only fields: accepted in any form (the SDK echoes what it read) and ignored. */
const readOnly = z.unknown().optional();

/** The writable fields of a device and the read-only ones a caller may echo back. */
export const deviceFields = {
  generationId: readOnly,
  etag: readOnly,
  connectionState: readOnly,
  connectionStateUpdatedTime: readOnly,
  statusUpdatedTime: readOnly,
  lastActivityTime: readOnly,
  cloudToDeviceMessageCount: readOnly,
  status: caseInsensitiveEnum(['enabled', 'disabled'] as const, 'status').optional(),
  statusReason: z.string().nullable().optional(),
  authentication: authenticationSchema,
  capabilities: z
    .strictObject({ iotEdge: z.boolean().nullable().optional() })
    .nullable()
    .optional(),
  deviceScope: z.string().nullable().optional(),
  parentScopes: z.array(z.string()).nullable().optional(),
};

export const deviceBodySchema = z.strictObject({
  deviceId: z.string().optional(),
  ...deviceFields,
});

export const moduleBodySchema = z.strictObject({
  deviceId: z.string().optional(),
  moduleId: z.string().optional(),
  managedBy: z.string().nullable().optional(),
  generationId: readOnly,
  etag: readOnly,
  connectionState: readOnly,
  connectionStateUpdatedTime: readOnly,
  lastActivityTime: readOnly,
  cloudToDeviceMessageCount: readOnly,
  authentication: authenticationSchema,
});

export type DeviceBody = z.infer<typeof deviceBodySchema>;
export type ModuleBody = z.infer<typeof moduleBodySchema>;
