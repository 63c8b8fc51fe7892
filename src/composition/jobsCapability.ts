import { AllowListDestinationGuard } from '../adapters/blob/AllowListDestinationGuard';
import {
  allowListEntry,
  ownBlobEndpoint,
  type BlobEndpoint,
} from '../adapters/blob/ownBlobEndpoint';
import { SasJobBlobs } from '../adapters/blob/SasJobBlobs';
import { CosmosJobStore } from '../adapters/cosmos/CosmosJobStore';
import { ensureCosmosContainer } from '../adapters/cosmos/ensureCosmosContainer';
import { StorageJobQueue } from '../adapters/queue/StorageJobQueue';
import type { BulkRegistry } from '../application/BulkRegistry';
import { JobWorker } from '../application/jobs/JobWorker';
import { RegistryJobs } from '../application/jobs/RegistryJobs';
import { ownStorageAccount } from '../domain/jobs/OwnStorageAccount';
import { parseAllowList } from '../domain/jobs/StorageAllowList';
import { parseImportLine } from '../http/parseImportLine';
import type { JobBlobs } from '../ports/JobBlobs';
import type { JobStore } from '../ports/JobStore';
import type { Metrics } from '../ports/Metrics';
import type { RegistryStore } from '../ports/RegistryStore';
import { credentialFor } from './clientsFor';
import type { Platform } from './Platform';

/** Import and export jobs: their store, queue, the customers' blobs behind an allow-list, the worker. */
export async function jobsCapability(
  platform: Platform,
  options: {
    registryStore: RegistryStore;
    bulk: BulkRegistry;
    metrics: Metrics;
    /** The Functions host's own storage, when it may be another account than the service's. */
    hostStorage?: BlobEndpoint | null;
    decorate?: {
      jobStore?: (store: JobStore) => JobStore;
      jobBlobs?: (blobs: JobBlobs) => JobBlobs;
    };
  },
) {
  const { settings, connections, cosmos, storage, guard, clock, logger } = platform;
  const jobsContainer = await ensureCosmosContainer(
    cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_JOBS_CONTAINER,
    '/id',
  );
  const jobStore = guard.cosmos(
    (options.decorate?.jobStore ?? ((s: JobStore) => s))(new CosmosJobStore(jobsContainer)),
  );
  const jobQueue = storage.queues.getQueueClient(settings.JOBS_QUEUE_NAME);
  const jobPoisonQueue = storage.queues.getQueueClient(`${settings.JOBS_QUEUE_NAME}-poison`);
  await jobQueue.createIfNotExists();
  const queue = guard.storage(new StorageJobQueue(jobQueue));
  // Identity-based jobs reach customer storage as the identity the app reaches its own with.
  const storageIdentity =
    'identity' in connections.storage ? credentialFor(connections.storage.identity) : null;
  // The own account is on the allow-list, but only for the containers named for jobs.
  const ownEndpoint =
    'connectionString' in connections.storage
      ? ownBlobEndpoint(connections.storage.connectionString)
      : { url: connections.storage.blobUri, accountName: null };
  const own = [ownEndpoint, options.hostStorage ?? null]
    .filter((e): e is BlobEndpoint => e !== null)
    .map((e) => ownStorageAccount(e.url, e.accountName, settings.JOBS_OWN_ACCOUNT_CONTAINERS));
  const destinations = new AllowListDestinationGuard(
    parseAllowList(
      [
        settings.JOBS_ALLOWED_STORAGE_HOSTS,
        ...(ownEndpoint ? [allowListEntry(ownEndpoint.url)] : []),
      ].join(','),
    ),
    own,
  );
  const jobWorker = new JobWorker({
    jobs: jobStore,
    queue,
    blobs: (options.decorate?.jobBlobs ?? ((b: JobBlobs) => b))(
      new SasJobBlobs(destinations, storageIdentity),
    ),
    store: options.registryStore,
    bulk: options.bulk,
    parseLine: parseImportLine,
    clock,
    logger,
    metrics: options.metrics,
    settings: {
      maxConcurrentJobs: settings.JOBS_MAX_CONCURRENT,
      leaseSeconds: settings.JOBS_LEASE_SECONDS,
      sliceSeconds: settings.JOBS_SLICE_SECONDS,
      exportPageSize: settings.JOBS_EXPORT_PAGE_SIZE,
      importChunkLines: settings.JOBS_IMPORT_CHUNK_LINES,
      maxDequeueCount: settings.JOBS_MAX_DEQUEUE_COUNT,
    },
  });
  return {
    jobQueue,
    jobPoisonQueue,
    jobWorker,
    jobs: new RegistryJobs(jobStore, queue, clock, logger, destinations, {
      hasIdentity: storageIdentity !== null,
      maxActive: settings.JOBS_MAX_ACTIVE,
    }),
  };
}
