import { z } from 'zod';

/**
 * A twin update as PATCH and PUT take it: tags and desired properties. A whole twin read with
 * GET may be sent back: its read-only fields (and reported properties, which only the device
 * writes) are ignored; deviceId and moduleId, when present, must match the path.
 */
export const twinBodySchema = z.looseObject({
  deviceId: z.string().optional(),
  moduleId: z.string().nullable().optional(),
  tags: z.unknown().optional(),
  properties: z
    .looseObject(
      { desired: z.unknown().optional() },
      {
        error: 'properties must be an object: { "desired": {…} }',
      },
    )
    .optional(),
});

export const queryBodySchema = z.object({
  query: z
    .string({ error: 'query is required: e.g. {"query": "SELECT * FROM devices"}' })
    .min(1, 'query is empty: e.g. {"query": "SELECT * FROM devices"}'),
});
