import type { JobDraft, RegistryJob } from '../domain/jobs/RegistryJob';

/**
 * Durable job records. `replace` is conditional on the etag (RegistryError PreconditionFailed
 * otherwise), which is how a worker learns that a job was cancelled or taken over.
 */
export interface JobStore {
  create(draft: JobDraft): Promise<RegistryJob>;
  read(jobId: string): Promise<RegistryJob | null>;
  /** Newest first. */
  list(max: number): Promise<RegistryJob[]>;
  replace(draft: JobDraft, etag: string): Promise<RegistryJob>;
  /**
   * Takes one of `slots` run slots for the job until `until` (or renews the one it holds), so
   * that no more than `slots` jobs run at once across every instance. Returns the slot, or null
   * when all are held by live leases.
   */
  claimSlot(jobId: string, slots: number, until: Date, now: Date): Promise<number | null>;
  releaseSlot(slot: number, jobId: string): Promise<void>;
  /**
   * Takes one of `places` active-job places for a job about to be created, so that no more than
   * `places` jobs are enqueued or running at once across every instance (IoT Hub's quota).
   * A place is free when its job has ended, or was never stored `unstoredSeconds` after it was
   * taken (its creator died). Returns false when every place is held.
   */
  reserveActive(
    jobId: string,
    places: number,
    now: Date,
    unstoredSeconds: number,
  ): Promise<boolean>;
  /** Frees the job's active-job place, if it holds one. */
  releaseActive(jobId: string): Promise<void>;
}
