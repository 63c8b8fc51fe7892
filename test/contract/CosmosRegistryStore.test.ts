import { randomBytes } from 'node:crypto';
import { ContinuationSeal } from '../../src/adapters/cosmos/ContinuationSeal';
import type { Container } from '@azure/cosmos';
import { CosmosLifecycleOutbox } from '../../src/adapters/cosmos/CosmosLifecycleOutbox';
import { CosmosRegistryStore } from '../../src/adapters/cosmos/CosmosRegistryStore';
import type { RegistryStore } from '../../src/ports/RegistryStore';
import { describe, expect, it } from 'vitest';
import { DELETED_LEDGER_TTL_SECONDS } from '../../src/adapters/cosmos/lifecycleDocuments';
import {
  commitWrites,
  createDevice,
  deviceDraft,
  registryStoreContract,
  writeTwin,
} from '../contract/registryStoreContract';
import { freshCosmosContainer } from '../support/cosmosContainer';

/** Each contract store's container, to read its outbox. */
const containers = new WeakMap<RegistryStore, Container>();

registryStoreContract(
  'Cosmos DB (embedded stand-in)',
  async () => {
    const container = await freshCosmosContainer();
    const store = new CosmosRegistryStore(container, new ContinuationSeal(randomBytes(32)));
    containers.set(store, container);
    return store;
  },
  async (store) => {
    const outbox = new CosmosLifecycleOutbox(containers.get(store)!);
    const { resources } = await containers
      .get(store)!
      .items.query("SELECT * FROM c WHERE c.kind = 'outbox'")
      .fetchAll();
    // In commit order, as the change feed hands them over: ids sort by sequence.
    resources.sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1));
    return outbox.recordsIn(resources).records.flatMap((r) => r.notifications);
  },
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

describe('identities stored before twins existed', () => {
  it('get a new twin on read, and are replaced and deleted as ever', async () => {
    const container = await freshCosmosContainer();
    const store = new CosmosRegistryStore(container, new ContinuationSeal(randomBytes(32)));
    const device = await createDevice(store, deviceDraft('legacy-1'));
    await container.item('twin', 'legacy-1').delete();
    const read = await store.readTwin('legacy-1', null);
    expect(read).toMatchObject({
      revision: null,
      twin: { deviceId: 'legacy-1', version: 1, tags: {} },
    });
    const replaced = await store.replaceDevice(
      deviceDraft('legacy-1', { statusReason: 'now with a twin' }),
      device.etag,
    );
    expect((await store.readTwin('legacy-1', null))?.twin.statusReason).toBe('now with a twin');
    await container.item('twin', 'legacy-1').delete();
    await commitWrites(store, 'legacy-1', [{ op: 'deleteDevice', etag: replaced.etag }], {
      generationId: null,
    });
    expect(await store.readDevice('legacy-1')).toBeNull();
    // A twin written for an identity that is gone is refused, not created.
    const twin = read!.twin;
    await expect(
      writeTwin(store, twin, { ...twin, tags: { a: 1 }, version: 2 }, null),
    ).rejects.toMatchObject({ code: 'DeviceNotFound' });
    expect(await store.readTwin('legacy-1', null)).toBeNull();
  });

  it('get their first twin document from a twin write, with its notification', async () => {
    const container = await freshCosmosContainer();
    const store = new CosmosRegistryStore(container, new ContinuationSeal(randomBytes(32)));
    await createDevice(store, deviceDraft('legacy-2'));
    await container.item('twin', 'legacy-2').delete();
    const read = (await store.readTwin('legacy-2', null))!;
    const next = { ...read.twin, tags: { site: 'a' }, version: 2 };
    const written = await writeTwin(store, read.twin, next, read.revision);
    expect(written?.twin.tags).toEqual({ site: 'a' });
    expect((await store.readTwin('legacy-2', null))?.revision).toBe(written?.revision);
    const { resources } = await container.items
      .query<{ notifications: { properties: Record<string, string> }[] }>(
        "SELECT * FROM c WHERE c.kind = 'outbox'",
      )
      .fetchAll();
    expect(
      resources.flatMap((r) => r.notifications.map((n) => n.properties.opType)).sort(),
    ).toEqual(['createDeviceIdentity', 'updateTwin']);
  });
});
