export type JobType = 'export' | 'import';
export type JobStatus = 'enqueued' | 'running' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** What the caller asked for; fixed once the job is created. */
export interface JobRequest {
  type: JobType;
  /** Container SAS URIs, kept whole for the worker; never shown whole (see redactSas). */
  inputBlobContainerUri: string | null;
  outputBlobContainerUri: string;
  inputBlobName: string;
  outputBlobName: string;
  excludeKeysInExport: boolean;
  /** keyBased: the URIs carry a SAS. identityBased: the app's managed identity reaches them. */
  storageAuthenticationType: StorageAuthentication;
}

export type StorageAuthentication = 'keyBased' | 'identityBased';

/**
 * Where a job stands: everything a worker needs to go on after a crash. Written with one
 * conditional replace after each chunk, so it always describes work that is done and durable.
 */
export interface JobCheckpoint {
  /** Export: the store's continuation token. */
  cursor: string | null;
  /** Export: documents of the device the last page ended in, to be written with the next page. */
  pending: unknown[];
  /** Import: byte offset of the next unread line, and its 1-based number. */
  offset: number;
  line: number;
  /** Blocks staged so far in the output blob (export file or import error log). */
  blocks: number;
  /** Identities written (export) or lines applied (import), and lines that failed. */
  done: number;
  failed: number;
  /** Progress denominator: identities at the start (export) or input bytes (import). */
  total: number;
  /** Import: the input blob's etag, so a blob replaced mid-job is noticed. */
  sourceEtag: string | null;
  /**
   * Import: the chunk being applied, with each line's identity etag as it was before (null:
   * absent). A worker that resumes a chunk treats a line whose identity changed as applied.
   */
  inFlight: { lines: number; before: Record<string, string | null> } | null;
}

export interface JobLease {
  owner: string;
  until: string;
  slot: number;
}

export interface RegistryJob extends JobRequest {
  jobId: string;
  status: JobStatus;
  progress: number;
  createdTimeUtc: string;
  startTimeUtc: string | null;
  endTimeUtc: string | null;
  failureReason: string | null;
  checkpoint: JobCheckpoint;
  lease: JobLease | null;
  /** The store's, opaque here. */
  etag: string;
}

export type JobDraft = Omit<RegistryJob, 'etag'>;

export const EMPTY_CHECKPOINT: JobCheckpoint = {
  cursor: null,
  pending: [],
  offset: 0,
  line: 0,
  blocks: 0,
  done: 0,
  failed: 0,
  total: 0,
  sourceEtag: null,
  inFlight: null,
};
