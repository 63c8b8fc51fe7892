import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';
import { registryStoreContract } from '../contract/registryStoreContract';

registryStoreContract(
  'in-memory fake',
  () => Promise.resolve(new InMemoryRegistryStore()),
  (store) =>
    Promise.resolve((store as InMemoryRegistryStore).outbox.flatMap((r) => r.notifications)),
);
