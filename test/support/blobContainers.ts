import {
  BlobServiceClient,
  ContainerSASPermissions,
  type ContainerClient,
} from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

export interface TestContainer {
  client: ContainerClient;
  /** A container SAS URI with the given permissions (letters of racwdl). */
  sas(permissions?: string, expiresInSeconds?: number): Promise<string>;
  /** The blob's text, or null when it does not exist. */
  text(blobName: string): Promise<string | null>;
  upload(blobName: string, text: string): Promise<void>;
}

/**
 * A fresh container in the customers' Azurite (or only its name, with `create: false`); with
 * `own`, a container of that name in the service's own account.
 */
export async function testContainer({
  create = true,
  own,
}: { create?: boolean; own?: string } = {}): Promise<TestContainer> {
  const stack = inject('stack');
  const service = BlobServiceClient.fromConnectionString(
    own ? stack.storageConnectionString : stack.customerStorageConnectionString,
  );
  const client = service.getContainerClient(own ?? `jobs-${randomUUID()}`);
  if (create) await client.createIfNotExists();
  return {
    client,
    sas: (permissions = 'racwdl', expiresInSeconds = 3600) =>
      client.generateSasUrl({
        permissions: ContainerSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + expiresInSeconds * 1000),
      }),
    text: async (blobName) => {
      const blob = client.getBlobClient(blobName);
      if (!(await blob.exists())) return null;
      return (await blob.downloadToBuffer()).toString('utf8');
    },
    upload: async (blobName, text) => {
      await client.getBlockBlobClient(blobName).upload(text, Buffer.byteLength(text));
    },
  };
}

/** Polls until `check` returns a value, or fails after the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  deadlineMs = 20_000,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}
