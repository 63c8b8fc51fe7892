import type { RegistryRuntime } from '../src/composition/createRegistryServices';
import type { Settings } from '../src/config/Settings';
import { JOB_TRIGGER_NAME, jobQueueHandler } from '../src/jobs/jobQueueHandler';
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
    JOB_TRIGGER_NAME,
    runtime.jobQueue,
    runtime.jobPoisonQueue,
    jobQueueHandler(() => Promise.resolve(runtime.services)),
    logger,
    {
      concurrency: settings.JOBS_MAX_CONCURRENT,
      visibilitySeconds: settings.JOBS_VISIBILITY_SECONDS,
      maxDequeueCount: settings.JOBS_MAX_DEQUEUE_COUNT,
      maxPollMs,
    },
  );
