import type { Authentication, AuthenticationInput } from './Authentication';

export type DeviceStatus = 'enabled' | 'disabled';

/** A device identity as the registry stores it. `etag` is the store's, opaque here. */
export interface DeviceIdentity {
  deviceId: string;
  generationId: string;
  etag: string;
  status: DeviceStatus;
  statusReason: string | null;
  statusUpdatedTime: string;
  authentication: Authentication;
  capabilities: { iotEdge: boolean };
  /** Generated for edge devices; a leaf device's copy of its parent's scope. */
  deviceScope: string | null;
  /** Present for edge devices (maybe empty) and for leaf devices that have a parent. */
  parentScopes: string[] | null;
}

/** A device before the store has given it an etag. */
export type DeviceDraft = Omit<DeviceIdentity, 'etag'>;

/** The writable part of a device, as a caller sends it (validated, read-only fields dropped). */
export interface DeviceInput {
  status?: DeviceStatus | undefined;
  statusReason?: string | null | undefined;
  authentication?: AuthenticationInput | undefined;
  capabilities?: { iotEdge?: boolean | undefined } | null | undefined;
  deviceScope?: string | null | undefined;
  parentScopes?: string[] | null | undefined;
}
