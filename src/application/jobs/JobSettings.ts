/** How jobs run; defaults in config/Settings. */
export interface JobSettings {
  /** Jobs that may run at once across every instance. */
  maxConcurrentJobs: number;
  /** How long a worker owns a job without checkpointing; a crashed worker's job resumes after. */
  leaseSeconds: number;
  /** How long one queue-triggered invocation works before handing over to a fresh message. */
  sliceSeconds: number;
  exportPageSize: number;
  importChunkLines: number;
  /** Deliveries after which an unexpected failure fails the job instead of retrying. */
  maxDequeueCount: number;
}
