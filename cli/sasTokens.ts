import { sign } from '../src/domain/auth/signatureMatches';
import type { Connection } from './parseConnectionString';

/** IoT Hub signs the URL-encoded resource and the expiry. */
function token(resource: string, key: string, seconds: number): string {
  const sr = encodeURIComponent(resource);
  const se = Math.floor(Date.now() / 1000) + seconds;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}`;
}

export const policyToken = (c: Connection, seconds: number): string =>
  `${token(c.hostName, c.key, seconds)}&skn=${encodeURIComponent(c.keyName)}`;

export const deviceToken = (resource: string, key: string, seconds: number): string =>
  token(resource, key, seconds);
