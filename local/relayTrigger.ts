import type { RegistryRuntime } from '../src/composition/createRegistryServices';
import { ensureCosmosContainer } from '../src/adapters/cosmos/ensureCosmosContainer';
import type { Settings } from '../src/config/Settings';
import {
  LIFECYCLE_RELAY_TRIGGER_NAME,
  lifecycleRelayHandler,
} from '../src/lifecycle/lifecycleRelayTrigger';
import type { Logger } from '../src/ports/Logger';
import { LocalChangeFeedTrigger } from './LocalChangeFeedTrigger';

/** The lifecycle relay over the identity container's change feed, as `functions/` registers it. */
export async function relayTrigger(
  runtime: RegistryRuntime,
  settings: Pick<Settings, 'COSMOS_DATABASE' | 'COSMOS_LEASE_CONTAINER'>,
  logger: Logger,
  pollMs = 50,
): Promise<LocalChangeFeedTrigger> {
  const leases = await ensureCosmosContainer(
    runtime.cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_LEASE_CONTAINER,
    '/id',
  );
  return new LocalChangeFeedTrigger(
    LIFECYCLE_RELAY_TRIGGER_NAME,
    runtime.identities,
    leases,
    lifecycleRelayHandler(() => Promise.resolve(runtime.services)),
    logger,
    { pollMs, maxItemCount: 500, maxRetryMs: 30_000 },
  );
}
