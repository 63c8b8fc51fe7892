import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { CliError, EXIT } from './CliError';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** The OpenSSL verdicts a CA of the caller's choosing fixes. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

export interface RegistryTrust {
  /** Certificates to trust besides Node's own; undefined: Node's defaults (and NODE_EXTRA_CA_CERTS). */
  ca?: string[];
  /** How to fix a TLS failure, when it is one the caller can fix. */
  advice(error: unknown): string | undefined;
}

/**
 * What the CLI trusts on its way to the registry: `--ca <file>` when given; else, for a local
 * host over https, the self-signed certificate `npm start` keeps in `<data dir>/tls/cert.pem`,
 * so a newcomer's `--url https://localhost:7443` works without NODE_EXTRA_CA_CERTS.
 */
export function registryTrust(baseUrl: string, dataDir: string, caFile?: string): RegistryTrust {
  const url = new URL(baseUrl);
  const local = url.protocol === 'https:' && LOCAL_HOSTS.has(url.hostname);
  const localCertificate = resolve(dataDir, 'tls', 'cert.pem');
  let source: string | undefined;
  let pem: string | undefined;
  if (caFile) {
    source = resolve(caFile);
    try {
      pem = readFileSync(source, 'utf8');
    } catch (error) {
      throw new CliError(
        `Cannot read --ca ${source} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        EXIT.usage,
      );
    }
  } else if (local && existsSync(localCertificate)) {
    source = localCertificate;
    pem = readFileSync(source, 'utf8');
  }
  const fix =
    "pass --ca <file> with the registry's certificate (or its CA), or set NODE_EXTRA_CA_CERTS=<file>";
  return {
    ca: pem === undefined ? undefined : [...rootCertificates, pem],
    advice(error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
        return `its certificate is not issued for ${url.hostname}: use a host name it names in --url`;
      if (!code || !UNTRUSTED.has(code)) return undefined;
      if (source) return `its certificate is not trusted by ${source}: ${fix}`;
      if (local)
        return (
          `its certificate is not trusted and there is none at ${localCertificate} to trust ` +
          '(`npm start` keeps it in <DATA_DIR>/tls/cert.pem: pass --data-dir or set DATA_DIR ' +
          `to that folder), or ${fix}`
        );
      return `its certificate is not trusted: ${fix}`;
    },
  };
}
