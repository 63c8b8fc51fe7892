import { z } from 'zod';
import { blobNameProblem } from '../../domain/jobs/blobNameProblem';
import { caseInsensitiveEnum } from './caseInsensitiveEnum';

const containerUri = (field: string) =>
  z.string({ error: `${field} must be a string: the container's SAS URI` }).refine(
    (s) => {
      try {
        const url = new URL(s);
        return url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        return false;
      }
    },
    { message: `${field} is not an http(s) URI: give the container's SAS URI` },
  );

/** A plain blob name: one that cannot lead a job out of its container (see blobNameProblem). */
const blobName = (field: string) =>
  z
    .string({ error: `${field} must be a string: a blob name such as devices.txt` })
    .superRefine((name, ctx) => {
      const problem = blobNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
    })
    .nullable()
    .optional();

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])])
  .transform((v) => v === true || v === 'true' || v === 'True');

/** Read-only job fields some clients (the C# SDK) send back: accepted and ignored. */
const readOnly = z.unknown().optional();

/** `POST /jobs/create`, IoT Hub's JobProperties. */
export const jobBodySchema = z
  .strictObject({
    type: caseInsensitiveEnum(['export', 'import'] as const, 'type'),
    inputBlobContainerUri: containerUri('inputBlobContainerUri').nullable().optional(),
    outputBlobContainerUri: containerUri('outputBlobContainerUri').nullable().optional(),
    inputBlobName: blobName('inputBlobName'),
    outputBlobName: blobName('outputBlobName'),
    excludeKeysInExport: flag.nullable().optional(),
    storageAuthenticationType: caseInsensitiveEnum(
      ['keyBased', 'identityBased'] as const,
      'storageAuthenticationType',
    )
      .nullable()
      .optional(),
    identity: readOnly,
    includeConfigurations: flag.nullable().optional(),
    configurationsBlobName: blobName('configurationsBlobName'),
    jobId: readOnly,
    status: readOnly,
    progress: readOnly,
    startTimeUtc: readOnly,
    endTimeUtc: readOnly,
    failureReason: readOnly,
  })
  .superRefine((body, ctx) => {
    const need = (field: 'inputBlobContainerUri' | 'outputBlobContainerUri') => {
      if (!body[field])
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} is required for an ${body.type} job`,
        });
    };
    need('outputBlobContainerUri');
    if (body.type === 'import') need('inputBlobContainerUri');
    // Key-based access is through a SAS; identity-based access needs none.
    for (const field of ['inputBlobContainerUri', 'outputBlobContainerUri'] as const) {
      const uri = body[field];
      if (!uri || body.storageAuthenticationType === 'identityBased') continue;
      if (!/[?&]sig=[^&]+/.test(uri))
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} has no SAS (no sig parameter): give a container SAS URI, or set storageAuthenticationType to identityBased`,
        });
    }
    if (body.includeConfigurations)
      ctx.addIssue({
        code: 'custom',
        path: ['includeConfigurations'],
        message: 'configurations are not part of this registry: leave includeConfigurations out',
      });
  });

export type JobBody = z.infer<typeof jobBodySchema>;
