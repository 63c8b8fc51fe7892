import type { JobCheckpoint } from '../../domain/jobs/RegistryJob';

/** Saves a checkpoint mid-step (conditionally: it throws when the job changed meanwhile). */
export type SaveCheckpoint = (checkpoint: JobCheckpoint) => Promise<void>;

/** One kind of job, done in steps that each end in a checkpoint. */
export interface JobStep {
  /** Fills in what the first step needs (totals, the input's etag); a no-op on resume. */
  start(checkpoint: JobCheckpoint): Promise<JobCheckpoint>;
  step(
    checkpoint: JobCheckpoint,
    save: SaveCheckpoint,
  ): Promise<{ checkpoint: JobCheckpoint; finished: boolean }>;
  /** Makes the output visible; safe to repeat. */
  finish(checkpoint: JobCheckpoint): Promise<void>;
  progress(checkpoint: JobCheckpoint): number;
  close(): void;
}
