import { X509Certificate } from 'node:crypto';
import { RegistryError } from '../errors/RegistryError';

/**
 * A CA certificate uploaded for devices of `certificateAuthority` authentication: such a device
 * is accepted when its certificate is signed by a verified CA and names the device as its
 * subject CN. Verified means its owner proved possession of the CA's private key, by signing a
 * certificate whose CN is a verification code the registry generated.
 */
export interface CaCertificate {
  name: string;
  /** The store's; opaque here. */
  etag: string;
  /** PEM. */
  certificate: string;
  subject: string;
  /** SHA-1, upper-case hex, as IoT Hub shows it. */
  thumbprint: string;
  expiry: string;
  isVerified: boolean;
  verificationCode: string | null;
  created: string;
  updated: string;
}

export type CaCertificateDraft = Omit<CaCertificate, 'etag'>;

const NAME = /^[A-Za-z0-9._-]{1,256}$/;

export function assertCertificateName(name: string): string {
  if (!NAME.test(name))
    throw new RegistryError(
      'ArgumentInvalid',
      `The certificate name '${name.slice(0, 60)}' must be 1 to 256 of A-Z a-z 0-9 . _ -`,
    );
  return name;
}

/** A certificate from PEM or base64 DER; a 400 that says what is wrong otherwise. */
export function readCertificate(text: string, what: string): X509Certificate {
  const trimmed = text.trim();
  try {
    return new X509Certificate(
      trimmed.startsWith('-----BEGIN') ? trimmed : Buffer.from(trimmed, 'base64'),
    );
  } catch {
    throw new RegistryError(
      'ArgumentInvalid',
      `${what} is not an X.509 certificate: send it as PEM or base64 DER`,
    );
  }
}

/** Checks an upload: a CA certificate (basic constraints CA:TRUE) that has not expired. */
export function describeCaCertificate(
  x509: X509Certificate,
  now: Date,
): Pick<CaCertificate, 'certificate' | 'subject' | 'thumbprint' | 'expiry'> {
  if (!x509.ca)
    throw new RegistryError(
      'ArgumentInvalid',
      'The certificate is not a CA certificate (basic constraints CA:TRUE): upload the CA that signs your devices',
    );
  if (new Date(x509.validTo) <= now)
    throw new RegistryError('ArgumentInvalid', `The certificate expired on ${x509.validTo}`);
  return {
    certificate: x509.toString(),
    subject: x509.subject.replace(/\n/g, ', '),
    thumbprint: x509.fingerprint.replace(/:/g, '').toUpperCase(),
    expiry: new Date(x509.validTo).toISOString(),
  };
}

/** The subject's common name, or null. */
export function commonNameOf(x509: X509Certificate): string | null {
  const line = x509.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : null;
}

/** Whether `cert` was issued and signed by `ca`, and both are valid at `now`. */
export function signedBy(cert: X509Certificate, ca: X509Certificate, now: Date): boolean {
  const valid = (c: X509Certificate) => new Date(c.validFrom) <= now && now < new Date(c.validTo);
  try {
    return valid(cert) && valid(ca) && cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}
