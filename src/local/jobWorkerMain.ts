import { createRegistryServices } from '../composition/createRegistryServices';
import { parseSettings } from '../config/Settings';
import { JOB_TRIGGER_NAME, jobQueueHandler } from '../jobs/jobQueueHandler';
import { consoleLogger } from './consoleLogger';
import { LocalQueueTrigger } from './LocalQueueTrigger';
import { readLocalSettings } from './readLocalSettings';

/**
 * `npm run worker`: a process that only runs import and export jobs from the job queue, against
 * the stores the settings name (COSMOS_ENDPOINT, COSMOS_KEY, STORAGE_CONNECTION_STRING). Start
 * several next to `npm start` (pointed at its stores) to add workers; kill one mid-job and
 * another resumes the job.
 */
async function main(): Promise<void> {
  const settings = parseSettings(readLocalSettings());
  const runtime = await createRegistryServices({
    settings,
    policies: new Map(), // a worker serves no requests
    logger: consoleLogger,
  });
  const trigger = new LocalQueueTrigger(
    JOB_TRIGGER_NAME,
    runtime.jobQueue,
    runtime.jobPoisonQueue,
    jobQueueHandler(() => Promise.resolve(runtime.services)),
    consoleLogger,
    {
      concurrency: settings.JOBS_MAX_CONCURRENT,
      visibilitySeconds: settings.JOBS_VISIBILITY_SECONDS,
      maxDequeueCount: settings.JOBS_MAX_DEQUEUE_COUNT,
      maxPollMs: 1000,
    },
  );
  await trigger.start();
  consoleLogger.info(`Job worker on queue '${settings.JOBS_QUEUE_NAME}'. Ctrl-C stops.`);
  const stop = () => {
    trigger
      .stop()
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
