import type { RegistryJob } from '../domain/jobs/RegistryJob';
import { redactSas } from '../domain/jobs/redactSas';

/**
 * A job in IoT Hub's JobProperties shape. Container URIs are shown without their SAS signature:
 * anyone with RegistryRead may read a job, and the SAS may grant write access to storage.
 */
export function jobJson(job: RegistryJob) {
  return {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    progress: job.progress,
    startTimeUtc: job.startTimeUtc,
    endTimeUtc: job.endTimeUtc,
    failureReason: job.failureReason,
    inputBlobContainerUri:
      job.inputBlobContainerUri === null ? null : redactSas(job.inputBlobContainerUri),
    outputBlobContainerUri: redactSas(job.outputBlobContainerUri),
    inputBlobName: job.type === 'import' ? job.inputBlobName : null,
    outputBlobName: job.outputBlobName,
    excludeKeysInExport: job.excludeKeysInExport,
    storageAuthenticationType: job.storageAuthenticationType,
    includeConfigurations: false,
  };
}
