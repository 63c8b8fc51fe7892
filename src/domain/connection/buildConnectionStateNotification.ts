import type { LifecycleNotification } from '../lifecycle/LifecycleNotification';

export type ConnectionOperation = 'deviceConnected' | 'deviceDisconnected';

export const CONNECTION_STATE_SCHEMA = 'deviceConnectionStateNotification';
export const CONNECTION_STATE_SOURCE = 'deviceConnectionStateEvents';

/**
 * A connection state event in the shape IoT Hub routes (`deviceConnectionStateEvents`). Its
 * body's `sequenceNumber` is filled once the write is numbered (see withSequenceNumber).
 */
export function buildConnectionStateNotification(
  opType: ConnectionOperation,
  ref: { deviceId: string; moduleId: string | null },
  { hubName, now }: { hubName: string; now: Date },
): LifecycleNotification {
  const timestamp = now.toISOString();
  return {
    partitionKey: ref.deviceId,
    properties: {
      hubName,
      deviceId: ref.deviceId,
      ...(ref.moduleId === null ? {} : { moduleId: ref.moduleId }),
      opType,
      operationTimestamp: timestamp,
      'iothub-message-schema': CONNECTION_STATE_SCHEMA,
    },
    systemProperties: {
      'iothub-message-source': CONNECTION_STATE_SOURCE,
      'iothub-connection-device-id': ref.deviceId,
      ...(ref.moduleId === null ? {} : { 'iothub-connection-module-id': ref.moduleId }),
      'iothub-enqueuedtime': timestamp,
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
    },
    body: {},
  };
}

/**
 * IoT Hub's sequence numbers are hex strings that order a device's events: the ledger's number
 * in fixed-width hex, so comparing the strings compares the numbers.
 */
export const connectionSequenceNumber = (sequence: number): string =>
  sequence.toString(16).padStart(16, '0');

export function withSequenceNumber(
  n: LifecycleNotification,
  sequence: number,
): LifecycleNotification {
  return { ...n, body: { sequenceNumber: connectionSequenceNumber(sequence) } };
}
