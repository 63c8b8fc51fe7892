import { setTimeout as delay } from 'node:timers/promises';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { DeviceLedger } from '../../domain/lifecycle/DeviceLedger';
import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';
import { sequenceNotifications } from '../../domain/lifecycle/sequenceNotifications';
import {
  LedgerConflict,
  type CommitResult,
  type IdentityWrite,
  type LedgerRead,
} from '../../ports/RegistryStore';
import type { RegistryDeps } from '../RegistryDeps';

export interface PlannedCommit {
  writes: IdentityWrite[];
  /** The ledger after the write; its sequence is set here. */
  next: Omit<DeviceLedger, 'sequence'>;
  notifications: LifecycleNotification[];
}

/** Enough for every writer of a device to get its turn while dozens race (each round one wins). */
const MAX_ROUNDS = 100;
const MAX_BACKOFF_MS = 25;

/**
 * Plans a write against the device's ledger and commits it with its notifications in one
 * atomic step. When another write moved the ledger first, the ledger is read again and the
 * write planned again, so racing writers are serialised per device and none is lost or
 * refused for the race alone. `assumed` skips the first read (a create of a new ID).
 */
export async function commitLifecycle(
  deps: Pick<RegistryDeps, 'store' | 'clock'>,
  deviceId: string,
  plan: (ledger: DeviceLedger) => PlannedCommit | Promise<PlannedCommit>,
  assumed?: LedgerRead,
): Promise<CommitResult> {
  let read = assumed;
  for (let round = 1; ; round++) {
    read ??= await deps.store.readLedger(deviceId);
    const planned = await plan(read.ledger);
    const { notifications, last } = sequenceNotifications(
      planned.notifications,
      read.ledger.sequence,
      deps.clock.now(),
    );
    try {
      return await deps.store.commit(deviceId, {
        writes: planned.writes,
        ledger: { read, next: { ...planned.next, sequence: last } },
        notifications,
      });
    } catch (error) {
      if (!(error instanceof LedgerConflict)) throw error;
      if (round >= MAX_ROUNDS) {
        throw new RegistryError(
          'ThrottlingException',
          `Too many concurrent changes to device '${deviceId}': retry after a moment`,
          1,
        );
      }
      read = undefined;
      // Jitter spreads the racers out, so a round has one winner instead of a stampede.
      await delay(Math.random() * Math.min(MAX_BACKOFF_MS, round));
    }
  }
}
