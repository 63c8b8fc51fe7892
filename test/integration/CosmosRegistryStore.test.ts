import { randomBytes } from 'node:crypto';
import { ContinuationSeal } from '../../src/adapters/cosmos/ContinuationSeal';
import { CosmosRegistryStore } from '../../src/adapters/cosmos/CosmosRegistryStore';
import { describe, expect, it } from 'vitest';
import { DELETED_LEDGER_TTL_SECONDS } from '../../src/adapters/cosmos/lifecycleDocuments';
import {
  commitWrites,
  createDevice,
  deviceDraft,
  registryStoreContract,
} from '../contract/registryStoreContract';
import { freshCosmosContainer } from '../support/cosmosContainer';

registryStoreContract(
  'Cosmos DB (embedded stand-in)',
  async () =>
    new CosmosRegistryStore(await freshCosmosContainer(), new ContinuationSeal(randomBytes(32))),
);

describe('the ledger of a device ID in Cosmos DB', () => {
  it('expires once the device is deleted, and not while it lives', async () => {
    const container = await freshCosmosContainer();
    const store = new CosmosRegistryStore(container, new ContinuationSeal(randomBytes(32)));
    expect((await container.read()).resource?.defaultTtl).toBe(-1);
    const device = await createDevice(store, deviceDraft('ttl-1'));
    const ledger = () => container.item('ledger', 'ttl-1').read<{ ttl?: number }>();
    expect((await ledger()).resource?.ttl).toBeUndefined();
    await commitWrites(store, 'ttl-1', [{ op: 'deleteDevice', etag: device.etag }], {
      generationId: null,
    });
    expect((await ledger()).resource?.ttl).toBe(DELETED_LEDGER_TTL_SECONDS);
    await createDevice(store, deviceDraft('ttl-1', { generationId: '2' }));
    expect((await ledger()).resource?.ttl).toBeUndefined();
  });
});
