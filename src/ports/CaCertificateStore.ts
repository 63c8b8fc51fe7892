import type { CaCertificate, CaCertificateDraft } from '../domain/auth/CaCertificate';

/**
 * The uploaded CA certificates. Writes are conditional: `create` fails with a RegistryError
 * 'CertificateAlreadyExists'-style conflict when the name is taken, `replace` and `delete` with
 * PreconditionFailed when the etag changed.
 */
export interface CaCertificateStore {
  get(name: string): Promise<CaCertificate | null>;
  list(): Promise<CaCertificate[]>;
  /** Returns null when a certificate of that name exists already. */
  create(draft: CaCertificateDraft): Promise<CaCertificate | null>;
  replace(draft: CaCertificateDraft, etag: string): Promise<CaCertificate>;
  delete(name: string, etag: string | null): Promise<void>;
}
