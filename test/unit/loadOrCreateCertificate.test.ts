import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateCertificate } from '../../local/loadOrCreateCertificate';

// RSA key generation takes a moment on slow machines.
const TIMEOUT_MS = 30_000;

describe('loadOrCreateCertificate', () => {
  const tempDirs: string[] = [];
  const newTempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'local-tls-'));
    tempDirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it(
    'creates a localhost certificate once, then loads the same one',
    async () => {
      const dir = await newTempDir();
      const first = await loadOrCreateCertificate(dir);
      expect(first.created).toBe(true);

      const second = await loadOrCreateCertificate(dir);
      expect(second).toEqual({ key: first.key, cert: first.cert, created: false });

      const x509 = new X509Certificate(first.cert);
      expect(x509.subject).toContain('CN=localhost');
      expect(x509.subjectAltName).toContain('DNS:localhost');
      expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
      const years = (Date.parse(x509.validTo) - Date.now()) / (365.25 * 24 * 3600 * 1000);
      expect(years).toBeGreaterThan(4.9);
      expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

      if (process.platform !== 'win32') {
        expect((await stat(join(dir, 'tls', 'key.pem'))).mode & 0o777).toBe(0o600);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'is trusted by an HTTPS client that pins it, for the name localhost',
    async () => {
      const { key, cert } = await loadOrCreateCertificate(await newTempDir());
      const server: Server = createServer({ key, cert }, (_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const body = await new Promise<string>((resolve, reject) => {
          get({ host: '127.0.0.1', port, path: '/', ca: cert, servername: 'localhost' }, (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (data += chunk));
            res.on('end', () => resolve(data));
          }).on('error', reject);
        });
        expect(body).toBe('ok');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
    TIMEOUT_MS,
  );

  it(
    'regenerates an unreadable or soon-expiring certificate',
    async () => {
      const dir = await newTempDir();
      await mkdir(join(dir, 'tls'), { recursive: true });
      await writeFile(join(dir, 'tls', 'key.pem'), 'not a key');
      await writeFile(join(dir, 'tls', 'cert.pem'), 'not a certificate');
      const replaced = await loadOrCreateCertificate(dir);
      expect(replaced.created).toBe(true);

      const expiring = await generate([{ name: 'commonName', value: 'localhost' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 3 * 24 * 3600 * 1000),
      });
      await writeFile(join(dir, 'tls', 'key.pem'), expiring.private);
      await writeFile(join(dir, 'tls', 'cert.pem'), expiring.cert);
      const renewed = await loadOrCreateCertificate(dir);
      expect(renewed.created).toBe(true);
      expect(renewed.cert).not.toBe(expiring.cert);
    },
    TIMEOUT_MS,
  );
});
