import type { Container, CosmosClient } from '@azure/cosmos';
import type { DependencyHealth } from '../application/health/DependencyHealth';
import type { Settings } from '../config/Settings';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import type { Clock } from '../ports/Clock';
import type { Logger } from '../ports/Logger';
import type { storageClients } from './clientsFor';
import type { Connections } from './resolveConnections';

/** Wraps an adapter of a dependency: an outage becomes a 503, logged once. */
export type Guard = <T extends object>(adapter: T) => T;

/** What every capability's factory builds on: settings, clients made once, and the guards. */
export interface Platform {
  settings: Settings;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  logger: Logger;
  clock: Clock;
  health: DependencyHealth;
  connections: Connections;
  cosmos: CosmosClient;
  /** The identity container: identities, twins, ledgers and the outbox. */
  container: Container;
  storage: ReturnType<typeof storageClients>;
  guard: { cosmos: Guard; storage: Guard; eventHubs: Guard };
}
