import type { EventData } from '@azure/event-hubs';
import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';

/**
 * A lifecycle notification as an Event Hubs event. Application properties travel as
 * properties; the IoT Hub system properties too (a producer cannot set broker annotations),
 * and the liveness parser reads them from either place.
 */
export function lifecycleEventData(n: LifecycleNotification): EventData {
  const messageId = n.systemProperties['message-id'];
  return {
    body: n.body,
    contentType: 'application/json',
    ...(messageId ? { messageId } : {}),
    properties: { ...n.systemProperties, ...n.properties },
  };
}
