import {
  latestEventPosition,
  type EventHubConsumerClient,
  type ReceivedEventData,
  type Subscription,
} from '@azure/event-hubs';
import { desiredPatchOf } from '../../domain/twin/desiredPatchOf';
import type { IdentityEvent, IdentityEventFeed } from '../../ports/IdentityEventFeed';
import type { Logger } from '../../ports/Logger';

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/**
 * The lifecycle, connection state and twin change events of the hub the relay publishes to, read from the
 * latest position on a consumer group of the MQTT endpoint's own (every instance reads every
 * partition: each needs every event). Telemetry on the same hub is skipped.
 */
export class EventHubIdentityEventFeed implements IdentityEventFeed {
  private subscription: Subscription | undefined;

  constructor(
    private readonly consumer: EventHubConsumerClient,
    private readonly logger: Logger,
  ) {}

  start(onEvent: (event: IdentityEvent) => void): void {
    this.subscription = this.consumer.subscribe(
      {
        processEvents: (events) => {
          for (const e of events) {
            const parsed = identityEventOf(e);
            if (parsed) onEvent(parsed);
          }
          return Promise.resolve();
        },
        processError: (error) => {
          this.logger.warn(`MQTT: reading identity events failed (retrying): ${error.message}`);
          return Promise.resolve();
        },
      },
      { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1, maxBatchSize: 500 },
    );
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    await this.consumer.close();
  }
}

/** Our publishers put system properties among the properties; IoT Hub routes them as annotations. */
function identityEventOf(e: ReceivedEventData): IdentityEvent | null {
  const props = e.properties ?? {};
  const system = e.systemProperties ?? {};
  const source = text(system['iothub-message-source']) ?? text(props['iothub-message-source']);
  const kind =
    source === 'deviceLifecycleEvents'
      ? 'lifecycle'
      : source === 'deviceConnectionStateEvents'
        ? 'connectionState'
        : source === 'twinChangeEvents'
          ? 'desired'
          : null;
  if (!kind) return null;
  const deviceId =
    text(props.deviceId) ??
    text(system['iothub-connection-device-id']) ??
    text(props['iothub-connection-device-id']);
  if (!deviceId) return null;
  const moduleId =
    text(props.moduleId) ??
    text(system['iothub-connection-module-id']) ??
    text(props['iothub-connection-module-id']) ??
    null;
  const ref = { deviceId, moduleId };
  if (kind !== 'desired') return { kind, ref };
  const patch = desiredPatchOf(jsonBody(e.body));
  return patch ? { kind, ref, patch } : null;
}

/** A body as a publisher sent it: an object, or its JSON as bytes or text. */
function jsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body) && typeof body !== 'string') return body;
  try {
    return JSON.parse(body.toString()) as unknown;
  } catch {
    return null;
  }
}
