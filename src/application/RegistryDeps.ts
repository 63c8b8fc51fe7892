import type { Clock } from '../ports/Clock';
import type { LifecyclePublisher } from '../ports/LifecyclePublisher';
import type { Logger } from '../ports/Logger';
import type { RegistryStore } from '../ports/RegistryStore';

export interface RegistryDeps {
  store: RegistryStore;
  publisher: LifecyclePublisher;
  clock: Clock;
  logger: Logger;
  hubName: string;
  maxModulesPerDevice: number;
}
