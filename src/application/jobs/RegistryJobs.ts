import { randomUUID } from 'node:crypto';
import { RegistryError } from '../../domain/errors/RegistryError';
import {
  EMPTY_CHECKPOINT,
  isTerminal,
  type JobRequest,
  type RegistryJob,
} from '../../domain/jobs/RegistryJob';
import { redactSas } from '../../domain/jobs/redactSas';
import type { Clock } from '../../ports/Clock';
import type { JobQueue } from '../../ports/JobQueue';
import type { JobStore } from '../../ports/JobStore';
import type { Logger } from '../../ports/Logger';
import { retryOnConflict } from '../retryOnConflict';
import {
  DestinationRefused,
  type StorageDestinationGuard,
} from '../../ports/StorageDestinationGuard';

const notFound = (jobId: string) =>
  new RegistryError('JobNotFound', `There is no job with ID '${jobId.slice(0, 128)}'`);

/** How long an active-job place may wait for its job to be stored before it counts as free. */
const UNSTORED_SECONDS = 60;

export interface RegistryJobsOptions {
  /** Whether the app has a managed identity to reach storage with (identity-based jobs). */
  hasIdentity?: boolean;
  /** Jobs enqueued or running at once (JOBS_MAX_ACTIVE; IoT Hub allows one). */
  maxActive?: number;
}

/** Import and export job use cases: create, read, list, cancel. The work is JobWorker's. */
export class RegistryJobs {
  private readonly hasIdentity: boolean;
  private readonly maxActive: number;

  constructor(
    private readonly store: JobStore,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly destinations: StorageDestinationGuard,
    { hasIdentity = false, maxActive = 1 }: RegistryJobsOptions = {},
  ) {
    this.hasIdentity = hasIdentity;
    this.maxActive = maxActive;
  }

  async create(request: JobRequest): Promise<RegistryJob> {
    if (request.storageAuthenticationType === 'identityBased' && !this.hasIdentity)
      throw new RegistryError(
        'ArgumentInvalid',
        "storageAuthenticationType identityBased needs the app's managed identity, and this deployment reaches storage with keys: give SAS URIs (keyBased)",
      );
    await this.checkDestination('inputBlobContainerUri', request.inputBlobContainerUri);
    await this.checkDestination('outputBlobContainerUri', request.outputBlobContainerUri);
    const jobId = randomUUID();
    const now = this.clock.now();
    // The place is taken before the job is stored: two racing creates cannot both get the last.
    if (!(await this.store.reserveActive(jobId, this.maxActive, now, UNSTORED_SECONDS)))
      throw new RegistryError(
        'JobQuotaExceeded',
        `${this.maxActive === 1 ? 'Another import or export job is' : `${this.maxActive} import or export jobs are`} enqueued or running, and this hub runs ${this.maxActive} at a time (JOBS_MAX_ACTIVE): create this job once it has ended, or cancel it (DELETE /jobs/{id})`,
      );
    let job: RegistryJob;
    try {
      job = await this.store.create({
        ...request,
        jobId,
        status: 'enqueued',
        progress: 0,
        createdTimeUtc: now.toISOString(),
        startTimeUtc: null,
        endTimeUtc: null,
        failureReason: null,
        checkpoint: EMPTY_CHECKPOINT,
        lease: null,
      });
    } catch (error) {
      await this.releaseActive(jobId);
      throw error;
    }
    try {
      await this.queue.enqueue(job.jobId);
    } catch (error) {
      // Never leave a job 'enqueued' that no worker will ever see.
      this.logger.error(`Job ${job.jobId} could not be queued`, error);
      await this.finish(job.jobId, 'failed', 'The job could not be queued: create it again');
      throw new RegistryError(
        'ServiceUnavailable',
        'The job queue is unavailable: retry after a moment',
      );
    }
    this.logger.info(
      `Job ${job.jobId} (${job.type}) created for ${redactSas(job.outputBlobContainerUri)}`,
    );
    return job;
  }

  /** Before anything is stored or queued: a refused container is never contacted. */
  private async checkDestination(field: string, uri: string | null): Promise<void> {
    if (uri === null) return;
    try {
      await this.destinations.check(uri);
    } catch (error) {
      if (!(error instanceof DestinationRefused)) throw error;
      throw new RegistryError('ArgumentInvalid', `${field} is refused: ${error.reason}`);
    }
  }

  async get(jobId: string): Promise<RegistryJob> {
    // Job IDs are ours (UUIDs): anything else names no job, and never reaches the store.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(jobId)) throw notFound(jobId);
    const job = await this.store.read(jobId);
    if (!job) throw notFound(jobId);
    return job;
  }

  list(): Promise<RegistryJob[]> {
    return this.store.list(1000);
  }

  /** Cancels a job that has not ended; an ended job is returned as it is. */
  cancel(jobId: string): Promise<RegistryJob> {
    return this.finish(jobId, 'cancelled', null);
  }

  private async finish(
    jobId: string,
    status: 'cancelled' | 'failed',
    failureReason: string | null,
  ): Promise<RegistryJob> {
    const ended = await retryOnConflict(async () => {
      const job = await this.get(jobId);
      if (isTerminal(job.status)) return job;
      const { etag, ...draft } = job;
      // The worker notices at its next checkpoint (the etag changes) and stops.
      return this.store.replace(
        { ...draft, status, failureReason, endTimeUtc: this.clock.now().toISOString() },
        etag,
      );
    });
    await this.releaseActive(jobId);
    return ended;
  }

  /** A place that is not released is freed by the next create anyway (its job has ended). */
  private async releaseActive(jobId: string): Promise<void> {
    try {
      await this.store.releaseActive(jobId);
    } catch (error) {
      this.logger.error(`The active-job place of job ${jobId} could not be released`, error);
    }
  }
}
