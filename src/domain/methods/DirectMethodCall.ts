import type { JsonValue } from '../twin/Twin';

/** IoT Hub's direct method limits (the direct methods guide). */
export const METHOD_LIMITS = {
  minResponseTimeoutSeconds: 5,
  maxResponseTimeoutSeconds: 300,
  defaultResponseTimeoutSeconds: 30,
  maxConnectTimeoutSeconds: 300,
  payloadBytes: 128 * 1024,
} as const;

/** A direct method invocation as the service API takes it, checked. */
export interface DirectMethodCall {
  methodName: string;
  payload: JsonValue;
  responseTimeoutSeconds: number;
  connectTimeoutSeconds: number;
}

/** What the device answered: its status and its payload (JSON). */
export interface DirectMethodResult {
  status: number;
  payload: JsonValue;
}

/** The `sr` a method call's relay token is signed for: one identity's methods on the endpoint. */
export const methodRelayResource = (
  host: string,
  ref: { deviceId: string; moduleId: string | null },
): string =>
  `${host}/mqtt-methods/devices/${encodeURIComponent(ref.deviceId)}` +
  (ref.moduleId === null ? '' : `/modules/${encodeURIComponent(ref.moduleId)}`);
