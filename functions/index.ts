import { app } from '@azure/functions';
import { servicesFromEnvironment } from '../src/composition/servicesFromEnvironment';
import { routes } from '../src/http/routes';
import { livenessTriggers } from '../src/liveness/livenessTriggers';
import { CATALOG_TRIGGER_NAME, catalogEventHubHandler } from '../src/catalog/catalogTrigger';
import { JOB_TRIGGER_NAME, jobQueueHandler } from '../src/jobs/jobQueueHandler';
import {
  LIFECYCLE_RELAY_TRIGGER_NAME,
  lifecycleRelayHandler,
} from '../src/lifecycle/lifecycleRelayTrigger';

/** Store or hub failures are thrown; the host delivers the batch again (handlers are idempotent). */
const untilDone = {
  strategy: 'exponentialBackoff',
  maxRetryCount: -1,
  minimumInterval: { seconds: 1 },
  maximumInterval: { minutes: 1 },
} as const;

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
  retry: untilDone,
  handler: liveness.ingest.handler,
});
// IoT Hub's Event Grid events (either schema); the runtime answers the subscription handshake.
app.eventGrid(liveness.eventGrid.name, { handler: liveness.eventGrid.handler });
app.timer(liveness.sweep.name, {
  schedule: '%LIVENESS_SWEEP_SCHEDULE%',
  handler: liveness.sweep.handler,
});
app.storageQueue(JOB_TRIGGER_NAME, {
  queueName: '%JOBS_QUEUE_NAME%',
  connection: 'STORAGE_CONNECTION_STRING',
  handler: jobQueueHandler(servicesFromEnvironment),
});
// The outbox relay: the identity container's change feed. A failed publish is thrown and the
// batch retried, so every committed notification reaches Event Hubs at least once.
app.cosmosDB(LIFECYCLE_RELAY_TRIGGER_NAME, {
  connection: 'COSMOS_CONNECTION',
  databaseName: '%COSMOS_DATABASE%',
  containerName: '%COSMOS_CONTAINER%',
  leaseContainerName: '%COSMOS_LEASE_CONTAINER%',
  createLeaseContainerIfNotExists: true,
  retry: untilDone,
  handler: lifecycleRelayHandler(servicesFromEnvironment),
});
// The reference lifecycle consumer: a device catalog, on a consumer group of its own.
app.eventHub(CATALOG_TRIGGER_NAME, {
  connection: 'EVENTHUB_CONNECTION',
  eventHubName: '%LIVENESS_EVENTHUB_NAME%',
  consumerGroup: '%CATALOG_CONSUMER_GROUP%',
  cardinality: 'many',
  retry: untilDone,
  handler: catalogEventHubHandler(servicesFromEnvironment),
});
