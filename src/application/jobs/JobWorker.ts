import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RegistryError } from '../../domain/errors/RegistryError';
import { JobFailure } from '../../domain/jobs/JobFailure';
import { redactError } from '../../domain/jobs/redactSas';
import {
  isTerminal,
  type JobCheckpoint,
  type JobDraft,
  type RegistryJob,
} from '../../domain/jobs/RegistryJob';
import type { Clock } from '../../ports/Clock';
import type { JobBlobs } from '../../ports/JobBlobs';
import type { JobQueue } from '../../ports/JobQueue';
import type { JobStore } from '../../ports/JobStore';
import type { Logger } from '../../ports/Logger';
import type { RegistryStore } from '../../ports/RegistryStore';
import type { BulkRegistry } from '../BulkRegistry';
import { ExportRun } from './ExportRun';
import type { ImportLineParser } from './ImportLineParser';
import { ImportRun } from './ImportRun';
import type { JobSettings } from './JobSettings';
import type { JobStep } from './JobStep';
import type { Metrics } from '../../ports/Metrics';

export interface JobWorkerDeps {
  jobs: JobStore;
  queue: JobQueue;
  blobs: JobBlobs;
  store: RegistryStore;
  bulk: BulkRegistry;
  parseLine: ImportLineParser;
  clock: Clock;
  logger: Logger;
  settings: JobSettings;
  metrics?: Metrics;
}

/** The job changed under the worker (cancelled, or taken over): it must stop at once. */
class LostJob extends Error {}

const isPreconditionFailed = (e: unknown) =>
  e instanceof RegistryError && e.code === 'PreconditionFailed';

/**
 * Runs a job from a queue message, one slice at a time. The worker leases the job and a run
 * slot, works in steps that each end with a conditional checkpoint (which also renews the
 * lease and notices a cancel), and at the end of its slice hands over to a new message. A worker
 * that dies leaves its lease to run out; the message comes back and the next worker resumes
 * from the last checkpoint.
 */
export class JobWorker {
  constructor(private readonly deps: JobWorkerDeps) {}

  async run(jobId: string, dequeueCount = 1): Promise<void> {
    const { jobs, queue, clock, settings, logger } = this.deps;
    let job = await jobs.read(jobId);
    if (!job) return;
    if (isTerminal(job.status)) return this.releaseActive(jobId);

    const owner = randomUUID();
    const now = clock.now();
    if (job.lease && new Date(job.lease.until) > now) {
      // Another worker holds it (or held it and died): look again when its lease runs out.
      const left = Math.ceil((new Date(job.lease.until).getTime() - now.getTime()) / 1000);
      await queue.enqueue(jobId, Math.min(Math.max(left, 1), settings.leaseSeconds));
      return;
    }
    const leaseUntil = () => new Date(clock.now().getTime() + settings.leaseSeconds * 1000);
    const slot = await jobs.claimSlot(jobId, settings.maxConcurrentJobs, leaseUntil(), now);
    if (slot === null) {
      await queue.enqueue(jobId, Math.max(1, Math.ceil(settings.leaseSeconds / 4)));
      return;
    }
    let slotRenewedAt = performance.now();

    const write = async (change: Partial<JobDraft>): Promise<void> => {
      const { etag, ...draft } = job as RegistryJob;
      try {
        job = await jobs.replace({ ...draft, ...change }, etag);
      } catch (error) {
        if (isPreconditionFailed(error)) throw new LostJob();
        throw error;
      }
    };

    let run: JobStep | undefined;
    try {
      await write({
        status: 'running',
        startTimeUtc: job.startTimeUtc ?? now.toISOString(),
        lease: { owner, slot, until: leaseUntil().toISOString() },
      });
      run = this.stepsOf(job);
      const save = async (checkpoint: JobCheckpoint) => {
        await write({
          checkpoint,
          progress: (run as JobStep).progress(checkpoint),
          lease: { owner, slot, until: leaseUntil().toISOString() },
        });
        // The slot's lease is renewed at half-life, not at every checkpoint.
        if (performance.now() - slotRenewedAt > (settings.leaseSeconds * 1000) / 2) {
          await jobs.claimSlot(jobId, settings.maxConcurrentJobs, leaseUntil(), clock.now());
          slotRenewedAt = performance.now();
        }
      };

      let checkpoint = await run.start(job.checkpoint);
      const sliceEnd = performance.now() + settings.sliceSeconds * 1000;
      for (;;) {
        const { checkpoint: next, finished } = await run.step(checkpoint, save);
        this.deps.metrics?.jobProgress(job.type, next.done - checkpoint.done);
        checkpoint = next;
        if (finished) break;
        await save(checkpoint);
        if (performance.now() > sliceEnd) {
          // Hand over first, then let go: a crash in between only delays the next worker.
          await queue.enqueue(jobId);
          await write({ lease: null });
          return;
        }
      }
      await run.finish(checkpoint);
      await write({
        checkpoint,
        status: 'completed',
        progress: 100,
        endTimeUtc: clock.now().toISOString(),
        lease: null,
      });
      await jobs.releaseSlot(slot, jobId);
      await this.releaseActive(jobId);
      logger.info(`Job ${jobId} completed: ${checkpoint.done} done, ${checkpoint.failed} failed`);
    } catch (error) {
      if (error instanceof LostJob) {
        const current = await jobs.read(jobId);
        if (!current || isTerminal(current.status)) {
          await jobs.releaseSlot(slot, jobId);
          await this.releaseActive(jobId);
        }
        return;
      }
      const reason =
        error instanceof JobFailure
          ? error.message
          : dequeueCount >= settings.maxDequeueCount
            ? `The job failed ${dequeueCount} times on the service's side: start it again, and report it if it persists`
            : undefined;
      if (reason === undefined) {
        // Let the queue deliver it again; a fresh worker may start at once.
        const safe = redactError(error);
        logger.error(`Job ${jobId} stopped; it will be resumed`, safe);
        await write({ lease: null }).catch(() => undefined);
        throw safe;
      }
      if (!(error instanceof JobFailure)) logger.error(`Job ${jobId} failed`, redactError(error));
      await write({
        status: 'failed',
        failureReason: reason,
        endTimeUtc: clock.now().toISOString(),
        lease: null,
      }).catch((e: unknown) => {
        if (!(e instanceof LostJob)) throw e;
      });
      await jobs.releaseSlot(slot, jobId);
      await this.releaseActive(jobId);
    } finally {
      run?.close();
    }
  }

  /** An ended job frees its place for the next one to be created (see RegistryJobs). */
  private async releaseActive(jobId: string): Promise<void> {
    try {
      await this.deps.jobs.releaseActive(jobId);
    } catch (error) {
      // The next create frees it anyway: its job has ended.
      this.deps.logger.error(`The active-job place of job ${jobId} could not be released`, error);
    }
  }

  private stepsOf(job: RegistryJob): JobStep {
    const { store, blobs, bulk, parseLine, settings } = this.deps;
    return job.type === 'export'
      ? new ExportRun(job, store, blobs, settings.exportPageSize)
      : new ImportRun(job, store, bulk, parseLine, blobs, settings.importChunkLines);
  }
}
