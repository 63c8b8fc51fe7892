import type { RegistryRuntime } from '../src/composition/createRegistryServices';
import { ensureCosmosContainer } from '../src/adapters/cosmos/ensureCosmosContainer';
import type { Settings } from '../src/config/Settings';
import { TRIGGERS } from '../src/triggers/triggerTable';
import type { Logger } from '../src/ports/Logger';
import { LocalChangeFeedTrigger } from './LocalChangeFeedTrigger';

/**
 * How long the relay lets this process's writes gather after one woke it: one feed read,
 * publish and outbox removal then serves them all, for at most this much more latency.
 */
export const RELAY_COALESCE_MS = 20;
/** The poll for writers that cannot wake it (other processes, other instances). */
export const RELAY_POLL_MS = 500;

/**
 * The lifecycle relay over the identity container's change feed, as `functions/` registers it.
 * It reads the feed when a write of this process commits (or `wakeup` says another did), and
 * polls every `pollMs` for the others; the lease makes a restart resume where it left off.
 */
export async function relayTrigger(
  runtime: RegistryRuntime,
  settings: Pick<Settings, 'COSMOS_DATABASE' | 'COSMOS_LEASE_CONTAINER'>,
  logger: Logger,
  pollMs = RELAY_POLL_MS,
  wakeup: { subscribe(listener: () => void): () => void } = runtime.outboxCommits,
): Promise<LocalChangeFeedTrigger> {
  const leases = await ensureCosmosContainer(
    runtime.cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_LEASE_CONTAINER,
    '/id',
  );
  return new LocalChangeFeedTrigger(
    TRIGGERS.lifecycleRelay.name,
    runtime.identities,
    leases,
    TRIGGERS.lifecycleRelay.handler(() => Promise.resolve(runtime.services)),
    logger,
    { pollMs, maxItemCount: 500, maxRetryMs: 30_000, wakeup, coalesceMs: RELAY_COALESCE_MS },
  );
}
