import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';

/** An IoT Hub service connection string for a policy, as the SDKs and tools read it. */
export const serviceConnectionString = (hostName: string, policy: SharedAccessPolicy): string =>
  `HostName=${hostName};SharedAccessKeyName=${policy.keyName};SharedAccessKey=${policy.primaryKey}`;
