import { app } from '@azure/functions';
import { servicesFromEnvironment } from '../src/composition/servicesFromEnvironment';
import { routes } from '../src/http/routes';
import { livenessTriggers } from '../src/liveness/livenessTriggers';
import { JOB_TRIGGER_NAME, jobQueueHandler } from '../src/jobs/jobQueueHandler';

for (const route of routes(servicesFromEnvironment)) {
  app.http(route.name, {
    methods: route.methods,
    route: route.route,
    authLevel: 'anonymous',
    handler: route.handler,
  });
}

const liveness = livenessTriggers(async () => (await servicesFromEnvironment()).liveness);
app.eventHub(liveness.ingest.name, {
  connection: 'EVENTHUB_CONNECTION',
  eventHubName: '%LIVENESS_EVENTHUB_NAME%',
  cardinality: 'many',
  // Store failures are thrown; the host then delivers the batch again (writes are idempotent).
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: -1,
    minimumInterval: { seconds: 1 },
    maximumInterval: { minutes: 1 },
  },
  handler: liveness.ingest.handler,
});
app.timer(liveness.sweep.name, {
  schedule: '%LIVENESS_SWEEP_SCHEDULE%',
  handler: liveness.sweep.handler,
});
app.storageQueue(JOB_TRIGGER_NAME, {
  queueName: '%JOBS_QUEUE_NAME%',
  connection: 'STORAGE_CONNECTION_STRING',
  handler: jobQueueHandler(servicesFromEnvironment),
});
