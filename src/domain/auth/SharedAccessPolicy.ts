export type AccessRight = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

/** A hub-level shared access policy (IoT Hub "shared access policies"). Keys are base64. */
export interface SharedAccessPolicy {
  keyName: string;
  primaryKey: string;
  secondaryKey: string;
  rights: AccessRight[];
}

/** The built-in policies of an IoT hub and their rights (CONTRACT.md). */
export const BUILT_IN_POLICY_RIGHTS: Record<string, AccessRight[]> = {
  iothubowner: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
  service: ['ServiceConnect'],
  device: ['DeviceConnect'],
  registryRead: ['RegistryRead'],
  registryReadWrite: ['RegistryRead', 'RegistryWrite'],
};
