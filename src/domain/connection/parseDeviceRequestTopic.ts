/** A request a device publishes on one of IoT Hub's `$iothub/` topics. */
export type DeviceRequest =
  | { kind: 'getTwin'; rid: string }
  | { kind: 'patchReported'; rid: string }
  | { kind: 'methodResponse'; rid: string; status: number };

/** IoT Hub's request ids are short; a longer one is refused rather than echoed back. */
const MAX_RID_LENGTH = 128;

/**
 * `$iothub/twin/GET/?$rid={rid}`, `$iothub/twin/PATCH/properties/reported/?$rid={rid}` (other
 * query keys, such as `$version`, are ignored) and `$iothub/methods/res/{status}/?$rid={rid}`.
 * Anything else, or one without a request id: null.
 */
export function parseDeviceRequestTopic(topic: string): DeviceRequest | null {
  const at = topic.indexOf('/?');
  if (at < 0) return null;
  const path = topic.slice(0, at);
  const rid = new URLSearchParams(topic.slice(at + 2)).get('$rid');
  if (!rid || rid.length > MAX_RID_LENGTH) return null;
  if (path === '$iothub/twin/GET') return { kind: 'getTwin', rid };
  if (path === '$iothub/twin/PATCH/properties/reported') return { kind: 'patchReported', rid };
  const method = /^\$iothub\/methods\/res\/(\d{3})$/.exec(path);
  if (method) return { kind: 'methodResponse', rid, status: Number(method[1]) };
  return null;
}

/** Whether a topic is one of the `$iothub/` request topics (answered, never forwarded). */
export const isDeviceRequestTopic = (topic: string): boolean => topic.startsWith('$iothub/');
