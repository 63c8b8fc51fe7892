import type { EventData } from '@azure/event-hubs';
import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';

/**
 * A lifecycle notification as an Event Hubs event. Application properties travel as
 * properties; the IoT Hub system properties too (a producer cannot set broker annotations),
 * and the liveness parser reads them from either place.
 */
export function lifecycleEventData(n: LifecycleNotification): EventData {
  return {
    body: n.body,
    contentType: 'application/json',
    properties: { ...n.systemProperties, ...n.properties },
  };
}
