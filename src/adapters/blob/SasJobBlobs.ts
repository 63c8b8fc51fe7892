import {
  AnonymousCredential,
  ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import type { StorageAuthentication } from '../../domain/jobs/RegistryJob';
import { JobFailure } from '../../domain/jobs/JobFailure';
import { blobNameProblem } from '../../domain/jobs/blobNameProblem';
import type { BlobReader, BlobWriter, JobBlobs } from '../../ports/JobBlobs';
import { storageFailure } from './storageFailure';
import {
  DestinationRefused,
  type StorageDestinationGuard,
} from '../../ports/StorageDestinationGuard';

/**
 * Bounded retries, so an unreachable account fails the job in seconds instead of hanging it.
 * Redirects are never followed: a storage account does not redirect, and a followed one would
 * take the job to a container (or host) that was never checked. The 3xx becomes the failure.
 */
const PIPELINE: StoragePipelineOptions & { redirectOptions: { maxRetries: number } } = {
  retryOptions: {
    maxTries: 3,
    retryDelayInMs: 500,
    maxRetryDelayInMs: 4000,
    tryTimeoutInMs: 60_000,
  },
  redirectOptions: { maxRetries: 0 },
};

/** Equal-length block IDs, a function of the block's number alone. */
const blockId = (index: number) =>
  Buffer.from(`block-${String(index).padStart(8, '0')}`).toString('base64');

/** The container through its SAS (key-based), or as the app's managed identity. */
export function containerClient(
  uri: string,
  label: string,
  auth: StorageAuthentication,
  identity: TokenCredential | null,
): ContainerClient {
  if (auth === 'identityBased' && !identity)
    throw new JobFailure(
      `${label} is to be reached by the app's managed identity, and this deployment has none`,
    );
  try {
    return new ContainerClient(
      uri,
      auth === 'identityBased' && identity ? identity : new AnonymousCredential(),
      PIPELINE,
    );
  } catch {
    throw new JobFailure(`${label} is not a valid container URI: give the container's SAS URI`);
  }
}

/**
 * The customer's containers through their SAS URIs, with @azure/storage-blob. The destination
 * is checked again before a worker first reaches it: a DNS answer may have changed since the
 * job was created.
 */
export class SasJobBlobs implements JobBlobs {
  constructor(
    private readonly destinations: StorageDestinationGuard,
    /** The app's managed identity, for identity-based jobs (null: the deployment uses keys). */
    private readonly identity: TokenCredential | null = null,
  ) {}

  /**
   * Checks the container and the blob name once per reader or writer, before its first request:
   * the job was checked when it was created, but the stored record is checked again here.
   */
  private guard(uri: string, label: string, blobName: string, nameField: string) {
    let checked: Promise<void> | undefined;
    const check = async () => {
      const problem = blobNameProblem(blobName);
      if (problem) throw new JobFailure(`${nameField} ${problem}`);
      try {
        await this.destinations.check(uri);
      } catch (error) {
        throw error instanceof DestinationRefused
          ? new JobFailure(`${label} is refused: ${error.reason}`)
          : error;
      }
    };
    return (): Promise<void> => (checked ??= check());
  }

  writer(containerUri: string, blobName: string, auth: StorageAuthentication): BlobWriter {
    const label = 'outputBlobContainerUri';
    const blob = containerClient(containerUri, label, auth, this.identity).getBlockBlobClient(
      blobName,
    );
    const allowed = this.guard(containerUri, label, blobName, 'outputBlobName');
    return {
      stageBlock: async (index, data) => {
        await allowed();
        try {
          await blob.stageBlock(blockId(index), data, data.length);
        } catch (error) {
          throw storageFailure(error, label, 'write', blobName);
        }
      },
      commit: async (count) => {
        await allowed();
        try {
          await blob.commitBlockList(
            Array.from({ length: count }, (_, i) => blockId(i)),
            {
              blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
            },
          );
        } catch (error) {
          throw storageFailure(error, label, 'write', blobName);
        }
      },
    };
  }

  reader(containerUri: string, blobName: string, auth: StorageAuthentication): BlobReader {
    const label = 'inputBlobContainerUri';
    const blob = containerClient(containerUri, label, auth, this.identity).getBlobClient(blobName);
    const allowed = this.guard(containerUri, label, blobName, 'inputBlobName');
    return {
      properties: async () => {
        await allowed();
        try {
          const p = await blob.getProperties();
          return { size: p.contentLength ?? 0, etag: p.etag ?? '' };
        } catch (error) {
          throw storageFailure(error, label, 'read', blobName);
        }
      },
      readFrom: async (offset, etag) => {
        await allowed();
        try {
          const response = await blob.download(offset, undefined, {
            conditions: { ifMatch: etag },
          });
          const body = response.readableStreamBody;
          if (!body) throw new Error('The download has no body');
          return body as AsyncIterable<Buffer>;
        } catch (error) {
          throw storageFailure(error, label, 'read', blobName);
        }
      },
    };
  }
}
