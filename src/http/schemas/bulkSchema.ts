import { z } from 'zod';
import { IMPORT_MODES } from '../../domain/identity/ImportMode';
import { caseInsensitiveEnum } from './caseInsensitiveEnum';
import { deviceFields } from './identitySchemas';

/** One entry of `POST /devices` (IoT Hub's ExportImportDevice), twin sections included. */
export const bulkEntrySchema = z.strictObject({
  id: z.string({ error: 'id is required: the device ID of the entry' }),
  moduleId: z.string().nullable().optional(),
  importMode: caseInsensitiveEnum(IMPORT_MODES, 'importMode'),
  eTag: z.string().nullable().optional(),
  managedBy: z.string().nullable().optional(),
  twinETag: z.unknown().optional(),
  tags: z.unknown().optional(),
  properties: z.unknown().optional(),
  ...deviceFields,
  // Bulk entries carry their etag as eTag or etag: not read-only here.
  etag: z.string().nullable().optional(),
});

export const MAX_BULK_ENTRIES = 100;

export const bulkBodySchema = z
  .array(bulkEntrySchema, { error: 'The body must be a JSON array of device entries' })
  .min(1, 'The body holds no entries: send 1 to 100')
  .max(
    MAX_BULK_ENTRIES,
    `A bulk request holds at most ${MAX_BULK_ENTRIES} entries: split it into several requests`,
  );

export type BulkEntryBody = z.infer<typeof bulkEntrySchema>;
