/**
 * A lifecycle notification in the shape IoT Hub routes to an Event Hub (CONTRACT.md):
 * application properties, system properties and the twin-like body. Twin change notifications
 * (`twinChangeEvents`) have the same envelope and go through the same outbox and relay.
 */
export interface LifecycleNotification {
  /** Event Hubs partition key: the device ID, so a device's events stay in order. */
  partitionKey: string;
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
  body: Record<string, unknown>;
}

export type LifecycleOperation =
  | 'createDeviceIdentity'
  | 'deleteDeviceIdentity'
  /** Not sent by IoT Hub: this registry also reports a device's enable/disable. */
  | 'updateDeviceIdentityStatus';
