/**
 * The etag callers see: base64 of Cosmos' `_etag`, so it looks like IoT Hub's and maps back
 * exactly to the value the store checks in its conditional write.
 */
export const toWireEtag = (cosmosEtag: string): string =>
  Buffer.from(cosmosEtag, 'utf8').toString('base64');

export const toCosmosEtag = (wireEtag: string): string =>
  Buffer.from(wireEtag, 'base64').toString('utf8');
