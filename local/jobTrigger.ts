import type { RegistryRuntime } from '../src/composition/createRegistryServices';
import type { Settings } from '../src/config/Settings';
import { TRIGGERS } from '../src/triggers/triggerTable';
import type { Logger } from '../src/ports/Logger';
import { LocalQueueTrigger } from './LocalQueueTrigger';

/** The job queue's trigger for a runtime, as `functions/` registers it in Azure. */
export const jobTrigger = (
  runtime: RegistryRuntime,
  settings: Pick<
    Settings,
    'JOBS_MAX_CONCURRENT' | 'JOBS_VISIBILITY_SECONDS' | 'JOBS_MAX_DEQUEUE_COUNT'
  >,
  logger: Logger,
  maxPollMs = 1000,
): LocalQueueTrigger =>
  new LocalQueueTrigger(
    TRIGGERS.registryJobs.name,
    runtime.jobQueue,
    runtime.jobPoisonQueue,
    TRIGGERS.registryJobs.handler(() => Promise.resolve(runtime.services)),
    logger,
    {
      concurrency: settings.JOBS_MAX_CONCURRENT,
      visibilitySeconds: settings.JOBS_VISIBILITY_SECONDS,
      maxDequeueCount: settings.JOBS_MAX_DEQUEUE_COUNT,
      maxPollMs,
    },
  );
