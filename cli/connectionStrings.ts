import { CliError, EXIT } from './CliError';

export type KeyType = 'primary' | 'secondary';

interface Identity {
  deviceId?: unknown;
  moduleId?: string | null;
  authentication?: {
    type?: unknown;
    symmetricKey?: { primaryKey?: unknown; secondaryKey?: unknown } | null;
  } | null;
}

/**
 * A device's or module's connection string, as `az iot hub device-identity connection-string
 * show` prints it: the key for symmetric-key identities, `x509=true` for certificate ones.
 */
export function identityConnectionString(
  hostName: string,
  identity: Identity,
  keyType: KeyType,
): string {
  const prefix = `HostName=${hostName};DeviceId=${String(identity.deviceId)}${identity.moduleId ? `;ModuleId=${identity.moduleId}` : ''}`;
  const auth = identity.authentication;
  if (auth?.type === 'selfSigned' || auth?.type === 'certificateAuthority')
    return `${prefix};x509=true`;
  const key = auth?.symmetricKey?.[keyType === 'primary' ? 'primaryKey' : 'secondaryKey'];
  if (typeof key !== 'string' || !key)
    throw new CliError(
      `This identity has no ${keyType} key (authentication type '${String(auth?.type)}')`,
      EXIT.refused,
    );
  return `${prefix};SharedAccessKey=${key}`;
}

/** A shared access policy's service connection string, as `npm start` prints iothubowner's. */
export const policyConnectionString = (hostName: string, keyName: string, key: string): string =>
  `HostName=${hostName};SharedAccessKeyName=${keyName};SharedAccessKey=${key}`;
