import type { LivenessAlert } from '../../domain/liveness/LivenessAlert';
import type { AlertPublisher } from '../../ports/AlertPublisher';
import type { LivenessStore } from '../../ports/LivenessStore';
import type { Logger } from '../../ports/Logger';
import {
  noConnectionMirror,
  type ConnectionChange,
  type ConnectionMirror,
} from '../../ports/ConnectionMirror';

/** What an alert means for the twin's connection state. */
export const connectionChangeOf = (a: LivenessAlert): ConnectionChange => ({
  deviceId: a.deviceId,
  moduleId: a.moduleId,
  generationId: a.generationId,
  state: a.kind === 'silent' ? 'Disconnected' : 'Connected',
  at: a.at,
  lastActivityTime: a.kind === 'silent' ? a.lastSeen : a.at,
});

/**
 * Gets recorded alerts out: every alert is recorded with a pending mark in the transaction that
 * raises it, and the mark is cleared only after the publisher acknowledged the alert. Alerts a
 * failure or a crash left pending are published by the next sweep, so none is lost; a consumer
 * may see one twice (with the same message id) but never miss one. The twins' connection
 * state is set from each alert before its mark is cleared, so it is never left behind either.
 */
export class AlertRelay {
  constructor(
    private readonly store: LivenessStore,
    private readonly publisher: AlertPublisher,
    private readonly logger: Logger,
    private readonly mirror: ConnectionMirror = noConnectionMirror,
  ) {}

  /** Publishes alerts just recorded; on failure they stay pending for the next sweep. */
  async publish(alerts: readonly LivenessAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    try {
      await this.publisher.publish(alerts);
      await this.mirror.apply(alerts.map(connectionChangeOf));
      await this.store.completeAlerts(alerts);
    } catch (error) {
      this.logger.error(
        `Publishing ${alerts.length} alert(s) failed; they stay pending and the next sweep retries`,
        error,
      );
    }
  }

  /**
   * Publishes alerts earlier attempts left pending (in one sweep range, or all), oldest first;
   * returns how many.
   */
  async relayPending(limit = 500, range?: string): Promise<number> {
    const pending = await this.store.listPendingAlerts(limit, range);
    if (pending.length === 0) return 0;
    // A crash between the commit and the log's copy left them out of the log.
    await this.store.logAlerts(pending);
    await this.publisher.publish(pending);
    await this.mirror.apply(pending.map(connectionChangeOf));
    await this.store.completeAlerts(pending);
    return pending.length;
  }
}
