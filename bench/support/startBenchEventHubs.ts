import { randomUUID } from 'node:crypto';
import {
  startEventHubsStandIn,
  type EventHubsStandIn,
} from '../../standins/eventhubs/startEventHubsStandIn';

/** The Event Hubs stand-in with the hubs the service uses (4 partitions each), for a benchmark. */
export const startBenchEventHubs = (
  log?: (line: string) => void,
  hubs = [
    { name: 'telemetry', partitions: 4, consumerGroups: ['catalog'] },
    { name: 'alerts', partitions: 4 },
  ],
): Promise<EventHubsStandIn> =>
  startEventHubsStandIn({
    hubs,
    keyName: 'RootManageSharedAccessKey',
    key: randomUUID(),
    ...(log ? { log } : {}),
  });
