import { TableDeviceCatalog } from '../../src/adapters/tables/TableDeviceCatalog';
import { InMemoryDeviceCatalog } from '../fakes/InMemoryDeviceCatalog';
import { freshTable } from '../support/livenessTable';
import { deviceCatalogContract } from './deviceCatalogContract';

deviceCatalogContract('in memory (the unit tests’ fake)', () =>
  Promise.resolve(new InMemoryDeviceCatalog()),
);
deviceCatalogContract(
  'Table storage (Azurite)',
  async () => new TableDeviceCatalog(await freshTable('catalog')),
);
