import type { LivenessAlert } from '../../domain/liveness/LivenessAlert';
import type { AlertPublisher } from '../../ports/AlertPublisher';
import type { EventHubPublisher } from './EventHubPublisher';

/** Alerts onto the `alerts` hub; the alert log in Table storage stays the record of truth. */
export class EventHubAlertPublisher implements AlertPublisher {
  constructor(private readonly hub: EventHubPublisher) {}

  publish(alerts: readonly LivenessAlert[]): Promise<void> {
    return this.hub.send(
      alerts.map((a) => ({
        partitionKey: a.deviceId,
        data: {
          body: a,
          contentType: 'application/json',
          // Stable per transition: a consumer drops the copy a retried publish may send.
          messageId: `${a.kind}|${a.deviceId}|${a.moduleId ?? ''}|${a.at}`,
          properties: { alertKind: a.kind },
        },
      })),
    );
  }
}
