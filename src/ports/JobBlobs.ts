import type { StorageAuthentication } from '../domain/jobs/RegistryJob';

/**
 * The customer's blob containers, reached through the SAS URIs a job was given. Every failure
 * the customer must fix (no such container, a SAS without the right permission, an unreachable
 * account, a missing input blob) is thrown as a JobFailure that says so.
 */
export interface JobBlobs {
  /** A block blob written in numbered blocks and made visible whole by `commit`. */
  writer(containerUri: string, blobName: string, auth: StorageAuthentication): BlobWriter;
  reader(containerUri: string, blobName: string, auth: StorageAuthentication): BlobReader;
}

export interface BlobWriter {
  /** Staging block `index` again replaces it: a resumed job rewrites, never duplicates. */
  stageBlock(index: number, data: Buffer): Promise<void>;
  /** Makes blocks 0..count-1 the blob's content, replacing any earlier blob of that name. */
  commit(count: number): Promise<void>;
}

export interface BlobReader {
  /** Size and etag of the blob as it is now. */
  properties(): Promise<{ size: number; etag: string }>;
  /** The bytes from `offset` on, as long as the blob still has `etag`. */
  readFrom(offset: number, etag: string): Promise<AsyncIterable<Buffer>>;
}
