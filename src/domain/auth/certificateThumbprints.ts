import { X509Certificate } from 'node:crypto';

/** SHA-1 and SHA-256 thumbprints (upper-case hex) of a DER or PEM certificate, with its validity. */
export function certificateThumbprints(
  certificate: Buffer | string,
): { sha1: string; sha256: string; validFrom: Date; validTo: Date } | null {
  try {
    const x509 = new X509Certificate(certificate);
    const hex = (fingerprint: string) => fingerprint.replace(/:/g, '').toUpperCase();
    return {
      sha1: hex(x509.fingerprint),
      sha256: hex(x509.fingerprint256),
      validFrom: new Date(x509.validFrom),
      validTo: new Date(x509.validTo),
    };
  } catch {
    return null;
  }
}

/** App Service forwards the client certificate as base64 DER in X-ARR-ClientCert. */
export const certificateFromHeader = (value: string): Buffer | null => {
  const trimmed = value.trim();
  if (trimmed.startsWith('-----BEGIN')) return Buffer.from(trimmed);
  return /^[A-Za-z0-9+/=\s]+$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : null;
};
