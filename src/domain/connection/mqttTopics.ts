import type { IdentityRef } from '../identity/IdentityRef';

/** A device-to-cloud publish as IoT Hub's MQTT contract names it. */
export interface TelemetryTopic {
  ref: IdentityRef;
  /** The property bag after `messages/events/`: URL-encoded `k=v&...` (may be empty). */
  propertyBag: string;
}

/**
 * `devices/{id}/messages/events/{bag}` or `devices/{id}/modules/{mid}/messages/events/{bag}`
 * (the bag may be absent, with or without the trailing slash). Anything else: null.
 */
export function parseTelemetryTopic(topic: string): TelemetryTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== 'devices' || !parts[1]) return null;
  const deviceId = parts[1];
  let rest = parts.slice(2);
  let moduleId: string | null = null;
  if (rest[0] === 'modules') {
    if (!rest[1]) return null;
    moduleId = rest[1];
    rest = rest.slice(2);
  }
  if (rest[0] !== 'messages' || rest[1] !== 'events') return null;
  // The bag is one level: its values are URL-encoded, so a raw '/' does not belong in it.
  if (rest.length > 3) return null;
  return { ref: { deviceId, moduleId }, propertyBag: rest[2] ?? '' };
}

/** The subscriptions IoT Hub allows a device or module (its own topics only). */
export function subscriptionAllowed(topic: string, ref: IdentityRef): boolean {
  if (
    topic === '$iothub/twin/res/#' ||
    topic === '$iothub/twin/PATCH/properties/desired/#' ||
    topic === '$iothub/methods/POST/#'
  )
    return true;
  if (ref.moduleId === null) return topic === `devices/${ref.deviceId}/messages/devicebound/#`;
  return topic === `devices/${ref.deviceId}/modules/${ref.moduleId}/inputs/#`;
}
