import { X509Certificate } from 'node:crypto';
import { commonNameOf, signedBy } from '../../domain/auth/CaCertificate';
import { certificateThumbprints } from '../../domain/auth/certificateThumbprints';
import { deviceTokenScope } from '../../domain/auth/deviceTokenScope';
import { parseSharedAccessSignature } from '../../domain/auth/parseSharedAccessSignature';
import type { SharedAccessPolicy } from '../../domain/auth/SharedAccessPolicy';
import { signatureMatches } from '../../domain/auth/signatureMatches';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { Authentication } from '../../domain/identity/Authentication';
import type { IdentityRef } from '../../ports/LivenessStore';
import type { DeviceAccess, DeviceCredentials } from './DeviceCredentials';

export interface DeviceRequest {
  /** The identity named by the path. */
  path: IdentityRef;
  authorization: string | null;
  /** DER or PEM of the TLS client certificate, when one was presented. */
  clientCertificate: Buffer | null;
  now: Date;
}

const unauthorized = (why: string) => new RegistryError('IotHubUnauthorizedAccess', why);

/**
 * Authenticates a device or module: a SAS token signed with the identity's own key (or a policy
 * with DeviceConnect), an X.509 client certificate whose thumbprint the identity holds
 * (`selfSigned`), or one signed by a verified CA whose subject CN names the identity
 * (`certificateAuthority`: the device ID, or deviceId/moduleId for a module). Disabled devices,
 * and modules of disabled devices, are refused.
 */
export class DeviceAuthenticator {
  constructor(
    private readonly credentials: DeviceCredentials,
    private readonly policies: ReadonlyMap<string, SharedAccessPolicy>,
    /** The hub's configured host names: a token's sr must name one (never the request's Host). */
    private readonly hostNames: readonly string[],
    private readonly verifiedCas: () => Promise<X509Certificate[]> = () => Promise.resolve([]),
  ) {}

  async authenticate(req: DeviceRequest): Promise<{ ref: IdentityRef; access: DeviceAccess }> {
    if (req.authorization) return this.byToken(req, req.authorization);
    if (req.clientCertificate) return this.byCertificate(req, req.clientCertificate);
    throw unauthorized(
      'Send a SharedAccessSignature for the device, or a client certificate its registry entry names',
    );
  }

  private async byToken(req: DeviceRequest, header: string) {
    const token = parseSharedAccessSignature(header);
    if (!token)
      throw unauthorized('The Authorization header is not a well-formed SharedAccessSignature');
    if (token.se * 1000 <= req.now.getTime())
      throw unauthorized('The SharedAccessSignature has expired: create a new one');
    const scope = deviceTokenScope(token.sr);
    if (!scope)
      throw unauthorized(
        'The token resource (sr) must be host/devices/{id} or host/devices/{id}/modules/{moduleId}',
      );
    if (!this.hostNames.some((h) => h.toLowerCase() === scope.host.toLowerCase()))
      throw unauthorized('The token was issued for another host');
    if (scope.ref.deviceId !== req.path.deviceId)
      throw unauthorized('The token is for another device');
    if (req.path.moduleId !== null && scope.ref.moduleId !== req.path.moduleId)
      throw unauthorized('The token is not for this module');
    // The module SDK posts to the device path with a module-scoped token: the token decides.
    const ref = scope.ref;
    const access = await this.access(ref);
    const keys =
      token.skn === undefined
        ? identityKeys(access.module?.authentication ?? access.device.authentication)
        : policyKeys(this.policies.get(token.skn));
    if (keys.length === 0)
      throw unauthorized(
        token.skn === undefined
          ? 'This identity does not authenticate with symmetric keys'
          : 'The token names no policy with DeviceConnect',
      );
    if (!keys.some((key) => signatureMatches(key, token.sr, token.se, token.sig)))
      throw unauthorized('The signature does not match the keys of this identity');
    return { ref, access };
  }

  private async byCertificate(req: DeviceRequest, certificate: Buffer) {
    const prints = certificateThumbprints(certificate);
    if (!prints) throw unauthorized('The client certificate could not be read');
    if (prints.validFrom > req.now || prints.validTo < req.now)
      throw unauthorized('The client certificate is not valid at this time');
    const access = await this.access(req.path);
    const auth = access.module?.authentication ?? access.device.authentication;
    if (auth.type === 'certificateAuthority') {
      await this.byAuthority(req, certificate);
      return { ref: req.path, access };
    }
    const known = [auth.x509Thumbprint.primaryThumbprint, auth.x509Thumbprint.secondaryThumbprint]
      .filter((t): t is string => !!t)
      .map((t) => t.toUpperCase());
    if (
      auth.type !== 'selfSigned' ||
      !known.some((t) => t === prints.sha1 || t === prints.sha256)
    ) {
      throw unauthorized('The client certificate is not one this identity is registered with');
    }
    return { ref: req.path, access };
  }

  private async byAuthority(req: DeviceRequest, certificate: Buffer): Promise<void> {
    const leaf = new X509Certificate(certificate);
    const { deviceId, moduleId } = req.path;
    const expected = moduleId === null ? deviceId : `${deviceId}/${moduleId}`;
    if (commonNameOf(leaf) !== expected)
      throw unauthorized(`The client certificate's subject CN must be '${expected}'`);
    const cas = await this.verifiedCas();
    if (!cas.some((ca) => signedBy(leaf, ca, req.now)))
      throw unauthorized('The client certificate is not signed by a verified CA certificate');
  }

  private async access(ref: IdentityRef): Promise<DeviceAccess> {
    const access = await this.credentials.get(ref);
    if (!access) throw unauthorized('The identity is not registered');
    if (access.device.status !== 'enabled') throw unauthorized('The device is disabled');
    return access;
  }
}

function identityKeys(auth: Authentication): string[] {
  if (auth.type !== 'sas') return [];
  return [auth.symmetricKey.primaryKey, auth.symmetricKey.secondaryKey].filter(
    (k): k is string => !!k,
  );
}

function policyKeys(policy: SharedAccessPolicy | undefined): string[] {
  return policy?.rights.includes('DeviceConnect') ? [policy.primaryKey, policy.secondaryKey] : [];
}
