import { randomBytes, type X509Certificate } from 'node:crypto';
import {
  assertCertificateName,
  commonNameOf,
  describeCaCertificate,
  readCertificate,
  signedBy,
  type CaCertificate,
} from '../domain/auth/CaCertificate';
import { RegistryError } from '../domain/errors/RegistryError';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { CaCertificateStore } from '../ports/CaCertificateStore';
import type { Clock } from '../ports/Clock';

const notFound = (name: string) =>
  new RegistryError('NotFound', `There is no certificate named '${name}'`);

/**
 * CA certificates, as IoT Hub manages them: upload, proof of possession (a verification code,
 * then a certificate with that CN signed by the CA's key), and the verified set devices of
 * `certificateAuthority` authentication are checked against (cached for `cacheMs`, and
 * refreshed at once by a change through this instance).
 */
export class CaCertificates {
  private trusted: { at: number; cas: Promise<X509Certificate[]> } | null = null;

  constructor(
    private readonly store: CaCertificateStore,
    private readonly clock: Clock,
    private readonly cacheMs: number,
  ) {}

  async get(name: string): Promise<CaCertificate> {
    const found = await this.store.get(assertCertificateName(name));
    if (!found) throw notFound(name);
    return found;
  }

  list(): Promise<CaCertificate[]> {
    return this.store.list();
  }

  /** PUT: no If-Match creates (409 if the name is taken); an etag or `*` replaces. */
  async put(
    name: string,
    pem: string,
    verified: boolean,
    ifMatch: IfMatch,
  ): Promise<CaCertificate> {
    assertCertificateName(name);
    const now = this.clock.now();
    const described = describeCaCertificate(readCertificate(pem, 'certificate'), now);
    const at = now.toISOString();
    if (ifMatch.kind === 'none') {
      const created = await this.store.create({
        name,
        ...described,
        isVerified: verified,
        verificationCode: null,
        created: at,
        updated: at,
      });
      if (!created)
        throw new RegistryError(
          'CertificateAlreadyExists',
          `A certificate named '${name}' exists: send If-Match to replace it`,
        );
      return this.changed(created);
    }
    const current = await this.get(name);
    const etag = ifMatch.kind === 'etag' ? ifMatch.etag : current.etag;
    return this.changed(
      await this.store.replace(
        {
          ...current,
          ...described,
          // A different certificate must prove possession again.
          isVerified:
            verified || (current.isVerified && current.thumbprint === described.thumbprint),
          verificationCode: null,
          updated: at,
        },
        etag,
      ),
    );
  }

  async generateVerificationCode(name: string, ifMatch: IfMatch): Promise<CaCertificate> {
    const current = await this.get(name);
    const etag = ifMatch.kind === 'etag' ? ifMatch.etag : current.etag;
    return this.store.replace(
      {
        ...current,
        verificationCode: randomBytes(24).toString('hex').toUpperCase(),
        updated: this.clock.now().toISOString(),
      },
      etag,
    );
  }

  /** Proof of possession: `pem` has the verification code as its CN and the CA's signature. */
  async verify(name: string, pem: string, ifMatch: IfMatch): Promise<CaCertificate> {
    const current = await this.get(name);
    if (current.verificationCode === null)
      throw new RegistryError(
        'ArgumentInvalid',
        `Certificate '${name}' has no verification code: generate one first`,
      );
    const proof = readCertificate(pem, 'certificate');
    if (commonNameOf(proof) !== current.verificationCode)
      throw new RegistryError(
        'ArgumentInvalid',
        "The verification certificate's subject CN is not the verification code: sign a certificate with CN=<code>",
      );
    const now = this.clock.now();
    if (!signedBy(proof, readCertificate(current.certificate, 'stored certificate'), now))
      throw new RegistryError(
        'ArgumentInvalid',
        "The verification certificate is not signed by this CA's private key, or is not valid now",
      );
    const etag = ifMatch.kind === 'etag' ? ifMatch.etag : current.etag;
    return this.changed(
      await this.store.replace(
        { ...current, isVerified: true, verificationCode: null, updated: now.toISOString() },
        etag,
      ),
    );
  }

  async delete(name: string, ifMatch: IfMatch): Promise<void> {
    assertCertificateName(name);
    await this.store.delete(name, ifMatch.kind === 'etag' ? ifMatch.etag : null);
    this.trusted = null;
  }

  /** The verified CAs, as the device endpoint checks certificates against them. */
  verified(): Promise<X509Certificate[]> {
    const now = Date.now();
    if (!this.trusted || now - this.trusted.at > this.cacheMs) {
      const cas = this.store
        .list()
        .then((all) =>
          all
            .filter((c) => c.isVerified)
            .map((c) => readCertificate(c.certificate, 'stored certificate')),
        );
      // A failed read is not cached.
      cas.catch(() => (this.trusted = null));
      this.trusted = { at: now, cas };
    }
    return this.trusted.cas;
  }

  private changed(c: CaCertificate): CaCertificate {
    this.trusted = null;
    return c;
  }
}
