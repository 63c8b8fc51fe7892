import { RegistryError } from '../../domain/errors/RegistryError';
import type { Clock } from '../../ports/Clock';
import type { Logger } from '../../ports/Logger';

/** A call refused because a dependency is down (a 503 with Retry-After), naming which. */
export class DependencyUnavailable extends RegistryError {
  constructor(
    readonly dependency: Dependency,
    message: string,
    retryAfterSeconds: number,
  ) {
    super('ServiceUnavailable', message, retryAfterSeconds);
  }
}

/** What the service cannot work without. */
export type Dependency = 'cosmos' | 'storage' | 'eventHubs';

export const DEPENDENCY_LABELS: Record<Dependency, string> = {
  cosmos: 'Cosmos DB (identities, twins, jobs)',
  storage: 'Storage (liveness map, job queue, checkpoints)',
  eventHubs: 'Event Hubs (device messages, lifecycle events, alerts)',
};

export interface DependencyReport {
  name: Dependency;
  state: 'up' | 'down';
  /** When the dependency entered this state (ISO 8601). */
  since: string;
  /** Why it is down, without addresses or keys. */
  reason?: string;
}

interface State {
  down: boolean;
  /** Transient failures (timeouts, resets) in a row, while up. */
  strikes: number;
  since: Date;
  reason?: string;
  lastTrial: number;
}

/** How long callers wait before trying again, and how often a call probes a dependency that is down. */
export const RETRY_AFTER_SECONDS = 5;
const TRIAL_INTERVAL_MS = 1_000;
/** A slow or reset call is a 503 for its caller; only this many in a row mark the dependency down. */
const TRANSIENT_STRIKES = 3;

/**
 * The reachability of each dependency, as calls to it find it. A state change is logged once
 * (not per failing request), and while a dependency is down only one call per second goes
 * through to find out whether it is back: the others fail at once with a 503.
 */
export class DependencyHealth {
  private readonly states = new Map<Dependency, State>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    names: readonly Dependency[] = ['cosmos', 'storage', 'eventHubs'],
  ) {
    const now = clock.now();
    for (const name of names)
      this.states.set(name, { down: false, strikes: 0, since: now, lastTrial: 0 });
  }

  succeeded(name: Dependency): void {
    const state = this.states.get(name);
    if (state && !state.down) state.strikes = 0;
    if (!state?.down) return;
    const now = this.clock.now();
    const seconds = Math.round((now.getTime() - state.since.getTime()) / 1000);
    this.states.set(name, { down: false, strikes: 0, since: now, lastTrial: 0 });
    this.logger.info(`${DEPENDENCY_LABELS[name]} is reachable again (after ${seconds} s)`);
  }

  /**
   * A call found the dependency unreachable: `definite` (refused, no route) marks it down at
   * once; a timeout or reset does after a few in a row (one may be the call's own bad luck).
   */
  failed(name: Dependency, reason: string, definite = true): void {
    const state = this.states.get(name);
    if (!state || state.down) return;
    if (!definite && ++state.strikes < TRANSIENT_STRIKES) return;
    const now = this.clock.now();
    this.states.set(name, {
      down: true,
      strikes: 0,
      since: now,
      reason,
      lastTrial: now.getTime(),
    });
    this.logger.error(
      `${DEPENDENCY_LABELS[name]} is unreachable (${reason}): what needs it answers 503 until it is back`,
    );
  }

  /** False while the dependency is down, but for one trial call per second. */
  shouldTry(name: Dependency): boolean {
    const state = this.states.get(name);
    if (!state?.down) return true;
    const now = this.clock.now().getTime();
    if (now - state.lastTrial < TRIAL_INTERVAL_MS) return false;
    state.lastTrial = now;
    return true;
  }

  isDown(name: Dependency): boolean {
    return this.states.get(name)?.down ?? false;
  }

  report(): DependencyReport[] {
    return [...this.states].map(([name, s]) => ({
      name,
      state: s.down ? 'down' : 'up',
      since: s.since.toISOString(),
      ...(s.down && s.reason ? { reason: s.reason } : {}),
    }));
  }

  /** The error a caller gets while `name` is down. */
  unavailable(name: Dependency): DependencyUnavailable {
    return new DependencyUnavailable(
      name,
      `${DEPENDENCY_LABELS[name].replace(/ \(.*/, '')} is unavailable: retry after ${RETRY_AFTER_SECONDS} seconds`,
      RETRY_AFTER_SECONDS,
    );
  }
}
