import { randomBytes } from 'node:crypto';
import { ContinuationSeal } from '../../src/adapters/cosmos/ContinuationSeal';
import { CosmosRegistryStore } from '../../src/adapters/cosmos/CosmosRegistryStore';
import { registryStoreContract } from '../contract/registryStoreContract';
import { freshCosmosContainer } from '../support/cosmosContainer';

registryStoreContract(
  'Cosmos DB (embedded stand-in)',
  async () =>
    new CosmosRegistryStore(await freshCosmosContainer(), new ContinuationSeal(randomBytes(32))),
);
