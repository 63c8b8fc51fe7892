import type { Settings } from '../src/config/Settings';
import type { HubSettings } from '../standins/eventhubs/brokerSettings';

type HubChoices = Pick<
  Settings,
  | 'LIVENESS_EVENTHUB_NAME'
  | 'ALERTS_EVENTHUB_NAME'
  | 'CATALOG_CONSUMER_GROUP'
  | 'MQTT_CONSUMER_GROUP'
  | 'EVENTHUB_CONSUMER_GROUPS'
  | 'EVENTHUB_PARTITIONS'
>;

/**
 * The hubs of the embedded Event Hubs stand-in: the lifecycle/telemetry hub (with the catalog's
 * consumer group) and the alerts hub, each with the consumer groups of the user's own
 * (`EVENTHUB_CONSUMER_GROUPS`): `$Default` and the catalog's are held by this service's
 * triggers with an owner level, so a consumer of the user's own needs a group of its own.
 */
export function standInHubs(
  settings: HubChoices,
  partitions = settings.EVENTHUB_PARTITIONS,
): HubSettings[] {
  const own = settings.EVENTHUB_CONSUMER_GROUPS;
  return [
    {
      name: settings.LIVENESS_EVENTHUB_NAME,
      partitions,
      // The MQTT endpoint reads identity events on a group of its own.
      consumerGroups: [settings.CATALOG_CONSUMER_GROUP, settings.MQTT_CONSUMER_GROUP, ...own],
    },
    { name: settings.ALERTS_EVENTHUB_NAME, partitions, consumerGroups: [...own] },
  ];
}

/** The start-up line that names the consumer groups, whose they are, and how to add one. */
export function consumerGroupsLine(settings: HubChoices): string {
  const own = settings.EVENTHUB_CONSUMER_GROUPS;
  const service = `'$Default', '${settings.CATALOG_CONSUMER_GROUP}' and '${settings.MQTT_CONSUMER_GROUP}' (this service's)`;
  return own.length === 0
    ? `${service}; add your own with EVENTHUB_CONSUMER_GROUPS`
    : `${service}; yours, on every hub: ${own.map((g) => `'${g}'`).join(', ')}`;
}
