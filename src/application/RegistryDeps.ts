import type { Clock } from '../ports/Clock';
import type { Logger } from '../ports/Logger';
import type { RegistryStore } from '../ports/RegistryStore';
import type { IdentityChangeObserver } from '../ports/IdentityChangeObserver';

export interface RegistryDeps {
  store: RegistryStore;
  clock: Clock;
  logger: Logger;
  hubName: string;
  maxModulesPerDevice: number;
  /** E.g. the device endpoint's credential cache, so a change takes effect at once in process. */
  observer?: IdentityChangeObserver;
}
