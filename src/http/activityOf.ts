import { isRegistryError } from '../domain/errors/RegistryError';
import { connectionViewOf } from '../domain/liveness/connectionViewOf';
import type { IdentityRef } from '../ports/LivenessStore';
import type { LivenessServices } from '../application/liveness/LivenessServices';
import { NO_ACTIVITY, type ActivityView } from './identityJson';

/**
 * Connection facts for the registry's reply, from the last-seen map: Connected while online,
 * Disconnected once the hub reported a disconnect (see connectionViewOf).
 * Liveness being unreachable must not fail a registry read, so it then reports no activity.
 */
export async function activityOf(
  liveness: LivenessServices,
  ref: IdentityRef,
): Promise<{ view: ActivityView; generationId: string | null }> {
  try {
    const found = [...(await liveness.store.readMany([ref])).values()][0]?.record;
    if (!found || found.deletedAt !== null) return { view: NO_ACTIVITY, generationId: null };
    const connection = connectionViewOf(found);
    return {
      generationId: found.generationId,
      view: {
        connectionState: connection.state,
        connectionStateUpdatedTime:
          connection.since === null
            ? NO_ACTIVITY.connectionStateUpdatedTime
            : toHubTime(connection.since),
        lastActivityTime:
          found.lastSeen === null ? NO_ACTIVITY.lastActivityTime : toHubTime(found.lastSeen),
      },
    };
  } catch (error) {
    // An outage is logged once where it is found (guardDependency), not per read.
    if (!(isRegistryError(error) && error.code === 'ServiceUnavailable'))
      liveness.logger.warn(`Liveness unavailable for a registry read: ${String(error)}`);
    return { view: NO_ACTIVITY, generationId: null };
  }
}

const toHubTime = (iso: string) => iso.replace(/\.000Z$/, 'Z');
