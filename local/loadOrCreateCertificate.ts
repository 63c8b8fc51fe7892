import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

const VALIDITY_YEARS = 5;
/** Renew ahead of expiry so a long-running local host never serves an expired certificate. */
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

export interface LocalCertificate {
  key: string;
  cert: string;
  created: boolean;
}

/**
 * Self-signed certificate for the local HTTPS host (CN=localhost, SAN DNS:localhost and
 * IP:127.0.0.1, RSA 2048, SHA-256, 5 years), kept in `dir/tls/{key,cert}.pem` so clients can
 * trust it once. Regenerated when missing, unreadable, mismatched, or expiring within 7 days.
 */
export async function loadOrCreateCertificate(
  dir: string,
  options?: { log?: (line: string) => void },
): Promise<LocalCertificate> {
  const tlsDir = join(dir, 'tls');
  const keyPath = join(tlsDir, 'key.pem');
  const certPath = join(tlsDir, 'cert.pem');

  const existing = await loadUsable(keyPath, certPath);
  if (existing) return { ...existing, created: false };

  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + VALIDITY_YEARS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });

  await mkdir(tlsDir, { recursive: true });
  // Key first, cert last: a crash in between leaves a mismatched pair, which loadUsable rejects.
  await writeAtomically(keyPath, pems.private, 0o600);
  await writeAtomically(certPath, pems.cert, 0o644);
  options?.log?.(`Created a self-signed TLS certificate in ${tlsDir}`);
  return { key: pems.private, cert: pems.cert, created: true };
}

async function loadUsable(
  keyPath: string,
  certPath: string,
): Promise<{ key: string; cert: string } | undefined> {
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    const x509 = new X509Certificate(cert);
    const validTo = Date.parse(x509.validTo);
    if (!(validTo - Date.now() > RENEW_BEFORE_MS)) return undefined;
    if (Date.parse(x509.validFrom) > Date.now()) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    // Certificates from older layouts may lack the names clients verify against.
    if (!x509.checkHost('localhost') || !x509.checkIP('127.0.0.1')) return undefined;
    return { key, cert };
  } catch {
    // Missing, unreadable or unparsable: make a fresh pair.
    return undefined;
  }
}

/** Write-then-rename so a reader never sees half a PEM file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  // `mode` only applies when the file is created; make sure of it on a reused temp name.
  await chmod(temporary, mode);
  await rename(temporary, path);
}
