import type { SharedAccessPolicy } from '../auth/SharedAccessPolicy';
import { sign } from '../auth/signatureMatches';

/**
 * A service SAS token for one relayed method call: signed with a ServiceConnect policy's key,
 * for the identity's method resource only, valid for the call's own time. The endpoint checks
 * it as the service API checks callers (authorizeServiceRequest); nothing else is trusted.
 */
export function methodRelayToken(
  policy: SharedAccessPolicy,
  resource: string,
  expiresAt: Date,
): string {
  const sr = encodeURIComponent(resource);
  const se = Math.ceil(expiresAt.getTime() / 1000);
  // Signed over the encoded sr, as the SDKs sign (and authorizeServiceRequest checks).
  const sig = encodeURIComponent(sign(policy.primaryKey, sr, se));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}&skn=${encodeURIComponent(policy.keyName)}`;
}
