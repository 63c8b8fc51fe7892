import { InMemoryLivenessStore } from '../fakes/InMemoryLivenessStore';
import { freshLivenessStore } from '../support/livenessTable';
import { livenessStoreContract } from './livenessStoreContract';

livenessStoreContract('in memory (the unit tests’ fake)', () =>
  Promise.resolve(new InMemoryLivenessStore()),
);
livenessStoreContract('Table storage (Azurite)', () => freshLivenessStore());
