import type { InvocationContext } from '@azure/functions';
import { EventHubAlertPublisher } from '../adapters/eventhubs/EventHubAlertPublisher';
import { EventHubLifecyclePublisher } from '../adapters/eventhubs/EventHubLifecyclePublisher';
import { EventHubPipelineProbe } from '../adapters/eventhubs/EventHubPipelineProbe';
import { EventHubPublisher } from '../adapters/eventhubs/EventHubPublisher';
import { EventHubTelemetryPublisher } from '../adapters/eventhubs/EventHubTelemetryPublisher';
import { noAlertPublisher, type AlertPublisher } from '../ports/AlertPublisher';
import type { LifecyclePublisher } from '../ports/LifecyclePublisher';
import type { LivenessStore } from '../ports/LivenessStore';
import type { PipelineProbe } from '../ports/PipelineProbe';
import type { TelemetryPublisher } from '../ports/TelemetryPublisher';
import { consumerClient, producerClient } from './clientsFor';
import type { Platform } from './Platform';

/** What carries the service's events: Event Hubs in the product, something else in a benchmark. */
export interface EventTransport {
  lifecycle: LifecyclePublisher;
  telemetry: TelemetryPublisher;
  probe?: PipelineProbe;
  close(): Promise<void>;
}

export type LivenessHandler = (messages: unknown, context: InvocationContext) => Promise<void>;

/**
 * The service's events: lifecycle notifications and device messages into the telemetry hub,
 * alerts into the alerts hub, and the probe that tells whether the liveness map is current.
 * A benchmark's `custom` transport replaces Event Hubs (alerts then go nowhere).
 */
export function eventsCapability(
  platform: Platform,
  options: {
    livenessStore: LivenessStore;
    custom?: (livenessHandler: LivenessHandler) => EventTransport;
    livenessHandler: LivenessHandler;
  },
): { transport: EventTransport; alerts: AlertPublisher; probe?: () => Promise<void> } {
  if (options.custom)
    return { transport: options.custom(options.livenessHandler), alerts: noAlertPublisher };
  const { settings, connections, guard } = platform;
  const connection = connections.eventHubs;
  if (!connection)
    throw new Error(
      'EVENTHUB_CONNECTION (or EVENTHUB_CONNECTION__fullyQualifiedNamespace) must be set (npm start provides an embedded Event Hubs stand-in when it is absent)',
    );
  const lifecycleProducer = producerClient(connection, settings.LIVENESS_EVENTHUB_NAME);
  const lifecycleHub = new EventHubPublisher(lifecycleProducer);
  const alertHub = new EventHubPublisher(producerClient(connection, settings.ALERTS_EVENTHUB_NAME));
  const consumer = consumerClient(connection, '$Default', settings.LIVENESS_EVENTHUB_NAME);
  return {
    transport: {
      lifecycle: guard.eventHubs(new EventHubLifecyclePublisher(lifecycleHub)),
      telemetry: guard.eventHubs(new EventHubTelemetryPublisher(lifecycleHub)),
      probe: guard.eventHubs(new EventHubPipelineProbe(consumer, options.livenessStore)),
      close: async () => {
        await Promise.allSettled([lifecycleHub.close(), alertHub.close(), consumer.close()]);
      },
    },
    alerts: guard.eventHubs(new EventHubAlertPublisher(alertHub)),
    probe: async () => {
      await lifecycleProducer.getEventHubProperties({ abortSignal: AbortSignal.timeout(3_000) });
    },
  };
}
