import { setTimeout as delay } from 'node:timers/promises';
import { RegistryError } from '../domain/errors/RegistryError';
import type { IfMatch } from '../domain/identity/IfMatch';
import { buildTwinChangeNotification } from '../domain/lifecycle/buildTwinChangeNotification';
import { sequenceNotifications } from '../domain/lifecycle/sequenceNotifications';
import { twinEtag, type Twin } from '../domain/twin/Twin';
import { updateTwinState, type TwinChange } from '../domain/twin/updateTwinState';
import { LedgerConflict } from '../ports/RegistryStore';
import type { RegistryDeps } from './RegistryDeps';

/** As commitLifecycle: every racer of a device gets its turn, one winner a round. */
const MAX_ROUNDS = 100;
const MAX_BACKOFF_MS = 25;

const notFound = (deviceId: string, moduleId: string | null) =>
  moduleId === null
    ? new RegistryError('DeviceNotFound', `Device '${deviceId}' is not registered`)
    : new RegistryError(
        'ModuleNotFound',
        `Module '${moduleId}' is not registered on device '${deviceId}'`,
      );

/**
 * Twin use cases: read, and update by merge (PATCH) or replace (PUT). A write that changes
 * something commits with its twin change notification, numbered on the device's ledger, in one
 * atomic step, so the notification is never lost nor sent for a write that did not happen. It
 * is conditional on the twin's revision and the ledger as read, and planned again when another
 * writer got in between; `If-Match` compares with the twin's etag, which moves only when the
 * twin changes.
 */
export class TwinRegistry {
  constructor(private readonly deps: Pick<RegistryDeps, 'store' | 'clock' | 'hubName'>) {}

  async get(deviceId: string, moduleId: string | null): Promise<Twin> {
    const stored = await this.deps.store.readTwin(deviceId, moduleId);
    if (!stored) throw await this.missing(deviceId, moduleId);
    return stored.twin;
  }

  /** A module's twin is missing because its device is, or because the module is. */
  private async missing(deviceId: string, moduleId: string | null): Promise<RegistryError> {
    if (moduleId !== null && !(await this.deps.store.readDevice(deviceId)))
      return notFound(deviceId, null);
    return notFound(deviceId, moduleId);
  }

  async update(
    deviceId: string,
    moduleId: string | null,
    change: TwinChange,
    mode: 'merge' | 'replace',
    ifMatch: IfMatch,
  ): Promise<Twin> {
    const { store, clock, hubName } = this.deps;
    for (let round = 1; ; round++) {
      const [stored, ledger] = await Promise.all([
        store.readTwin(deviceId, moduleId),
        store.readLedger(deviceId),
      ]);
      if (!stored) throw await this.missing(deviceId, moduleId);
      if (ifMatch.kind === 'etag' && ifMatch.etag !== stored.twin.etag)
        throw new RegistryError(
          'PreconditionFailed',
          `The etag given in If-Match is not the twin's current etag (${stored.twin.etag}): read the twin again and retry`,
        );
      const now = clock.now();
      const state = updateTwinState(stored.twin, change, mode, now.toISOString());
      const next: Twin = { ...stored.twin, ...state, etag: twinEtag(state.version) };
      const notification = buildTwinChangeNotification(
        mode === 'merge' ? 'updateTwin' : 'replaceTwin',
        stored.twin,
        next,
        { hubName, now },
      );
      // Nothing changes: nothing is written (the version stays) and nothing is sent.
      if (!notification) return stored.twin;
      const { notifications, last } = sequenceNotifications(
        [notification],
        ledger.ledger.sequence,
        now,
      );
      try {
        const written = await store.writeTwin({
          twin: next,
          revision: stored.revision,
          ledger: { read: ledger, next: { ...ledger.ledger, sequence: last } },
          notifications,
        });
        if (written) return written.twin;
      } catch (error) {
        if (!(error instanceof LedgerConflict)) throw error;
      }
      if (round >= MAX_ROUNDS)
        throw new RegistryError(
          'ThrottlingException',
          `Too many concurrent changes to the twin of '${deviceId}': retry after a moment`,
          1,
        );
      // Jitter spreads the racers out, so a round has one winner instead of a stampede.
      await delay(Math.random() * Math.min(MAX_BACKOFF_MS, round));
    }
  }
}
