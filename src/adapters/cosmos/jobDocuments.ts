import { z } from 'zod';
import type { JobDraft } from '../../domain/jobs/RegistryJob';

const time = z.string().nullable();

/** The stored job, re-checked on every read (a document edited by hand must not reach a worker). */
export const jobDraftSchema = z.object({
  jobId: z.string(),
  type: z.enum(['export', 'import']),
  status: z.enum(['enqueued', 'running', 'completed', 'failed', 'cancelled']),
  progress: z.number().min(0).max(100),
  createdTimeUtc: z.string(),
  startTimeUtc: time,
  endTimeUtc: time,
  failureReason: z.string().nullable(),
  inputBlobContainerUri: z.string().nullable(),
  outputBlobContainerUri: z.string(),
  inputBlobName: z.string(),
  outputBlobName: z.string(),
  excludeKeysInExport: z.boolean(),
  // Jobs stored before identity-based access existed were all key-based.
  storageAuthenticationType: z.enum(['keyBased', 'identityBased']).default('keyBased'),
  checkpoint: z.object({
    cursor: z.string().nullable(),
    pending: z.array(z.unknown()),
    offset: z.number().int().min(0),
    line: z.number().int().min(0),
    blocks: z.number().int().min(0),
    done: z.number().int().min(0),
    failed: z.number().int().min(0),
    total: z.number().min(0),
    sourceEtag: z.string().nullable(),
    inFlight: z
      .object({
        lines: z.number().int().min(1),
        before: z.record(z.string(), z.string().nullable()),
      })
      .nullable(),
  }),
  lease: z
    .object({ owner: z.string(), until: z.string(), slot: z.number().int().min(0) })
    .nullable(),
}) satisfies z.ZodType<JobDraft>;

export const jobDocument = z.object({
  id: z.string(),
  kind: z.literal('job'),
  job: jobDraftSchema,
  _etag: z.string(),
});
