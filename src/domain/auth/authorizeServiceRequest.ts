import { RegistryError } from '../errors/RegistryError';
import { parseSharedAccessSignature } from './parseSharedAccessSignature';
import { resourceCovers } from './resourceCovers';
import type { AccessRight, SharedAccessPolicy } from './SharedAccessPolicy';
import { signatureMatches } from './signatureMatches';

export interface ServiceRequestAccess {
  authorization: string | null;
  /** `host/path` of the request, path URL-decoded. */
  resource: string;
  right: AccessRight;
  now: Date;
}

const unauthorized = (why: string) => new RegistryError('IotHubUnauthorizedAccess', why);

/**
 * Checks a service SAS token signed by a shared access policy. Every failure is the same 401 to
 * the caller, with a reason that says what to fix but nothing about keys.
 */
export function authorizeServiceRequest(
  policies: ReadonlyMap<string, SharedAccessPolicy>,
  { authorization, resource, right, now }: ServiceRequestAccess,
): SharedAccessPolicy {
  const token = parseSharedAccessSignature(authorization);
  if (!token) {
    throw unauthorized(
      'Send an Authorization header holding a SharedAccessSignature (sr, sig, se, skn) of a shared access policy',
    );
  }
  if (token.se * 1000 <= now.getTime())
    throw unauthorized('The SharedAccessSignature has expired: create a new one');
  const policy = token.skn === undefined ? undefined : policies.get(token.skn);
  if (!policy) throw unauthorized('The token names no known shared access policy (skn)');
  const valid =
    signatureMatches(policy.primaryKey, token.sr, token.se, token.sig) ||
    signatureMatches(policy.secondaryKey, token.sr, token.se, token.sig);
  if (!valid)
    throw unauthorized(`The signature does not match the keys of policy '${policy.keyName}'`);
  if (!resourceCovers(token.sr, resource))
    throw unauthorized('The token resource (sr) does not cover this request');
  if (!policy.rights.includes(right)) {
    throw unauthorized(
      `Policy '${policy.keyName}' lacks the ${right} permission this operation needs`,
    );
  }
  return policy;
}
