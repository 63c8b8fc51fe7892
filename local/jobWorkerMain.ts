import { createRegistryServices } from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import { consoleLogger } from '../src/adapters/logging/consoleLogger';
import { jobTrigger } from './jobTrigger';
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
  const trigger = jobTrigger(runtime, settings, consoleLogger);
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
