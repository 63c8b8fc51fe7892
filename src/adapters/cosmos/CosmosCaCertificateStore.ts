import type { Container, ItemDefinition } from '@azure/cosmos';
import type { CaCertificate, CaCertificateDraft } from '../../domain/auth/CaCertificate';
import type { CaCertificateStore } from '../../ports/CaCertificateStore';
import { toCosmosEtag, toWireEtag } from './cosmosEtag';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

/** No device ID may contain '#': the certificates' partition can never be a device's. */
const PARTITION = '#certificates';
const idOf = (name: string) => `ca.${Buffer.from(name, 'utf8').toString('base64url')}`;

const notFound = (name: string): [string, string] => [
  'NotFound',
  `There is no certificate named '${name}'`,
];

/** CA certificates as documents of one partition of the identity container. */
export class CosmosCaCertificateStore implements CaCertificateStore {
  constructor(private readonly container: Container) {}

  async get(name: string): Promise<CaCertificate | null> {
    try {
      const { resource } = await this.container.item(idOf(name), PARTITION).read<ItemDefinition>();
      return resource ? fromDocument(resource) : null;
    } catch (error) {
      if (isCosmosNotFound(error)) return null;
      throw translateCosmosError(error, {});
    }
  }

  async list(): Promise<CaCertificate[]> {
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        {
          query: 'SELECT * FROM c WHERE c.deviceId = @p AND c.kind = @kind',
          parameters: [
            { name: '@p', value: PARTITION },
            { name: '@kind', value: 'caCertificate' },
          ],
        },
        { partitionKey: PARTITION },
      )
      .fetchAll();
    return resources.map(fromDocument).sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(draft: CaCertificateDraft): Promise<CaCertificate | null> {
    try {
      const { resource } = await this.container.items.create(toDocument(draft));
      return fromDocument(resource as ItemDefinition);
    } catch (error) {
      if ((error as { code?: unknown }).code === 409) return null;
      throw translateCosmosError(error, {});
    }
  }

  async replace(draft: CaCertificateDraft, etag: string): Promise<CaCertificate> {
    try {
      const { resource } = await this.container
        .item(idOf(draft.name), PARTITION)
        .replace(toDocument(draft), {
          accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) },
        });
      return fromDocument(resource as ItemDefinition);
    } catch (error) {
      throw translateCosmosError(error, {
        notFound: notFound(draft.name) as ['NotFound', string],
        preconditionFailed: [
          'PreconditionFailed',
          `The certificate '${draft.name}' changed since it was read: read it again`,
        ],
      });
    }
  }

  async delete(name: string, etag: string | null): Promise<void> {
    try {
      await this.container
        .item(idOf(name), PARTITION)
        .delete(
          etag === null
            ? {}
            : { accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) } },
        );
    } catch (error) {
      throw translateCosmosError(error, {
        notFound: notFound(name) as ['NotFound', string],
        preconditionFailed: [
          'PreconditionFailed',
          `The certificate '${name}' changed since it was read: read it again`,
        ],
      });
    }
  }
}

function toDocument(draft: CaCertificateDraft) {
  return { id: idOf(draft.name), kind: 'caCertificate', deviceId: PARTITION, ...draft };
}

function fromDocument(doc: ItemDefinition): CaCertificate {
  const d = doc as unknown as CaCertificateDraft & { _etag: string };
  return {
    name: d.name,
    etag: toWireEtag(d._etag),
    certificate: d.certificate,
    subject: d.subject,
    thumbprint: d.thumbprint,
    expiry: d.expiry,
    isVerified: d.isVerified,
    verificationCode: d.verificationCode,
    created: d.created,
    updated: d.updated,
  };
}
