import { setTimeout as delay } from 'node:timers/promises';
import {
  buildConnectionStateNotification,
  withSequenceNumber,
  type ConnectionOperation,
} from '../../domain/connection/buildConnectionStateNotification';
import { sequenceNotifications } from '../../domain/lifecycle/sequenceNotifications';
import type { Clock } from '../../ports/Clock';
import type { IdentityRef } from '../../ports/LivenessStore';
import { LedgerConflict, type RegistryStore } from '../../ports/RegistryStore';
import {
  SessionConflict,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from '../../ports/SessionStore';

const MAX_ROUNDS = 50;
const MAX_BACKOFF_MS = 25;

export interface ConnectionStatesDeps {
  sessions: SessionStore;
  /** Its ledgers: connection state events are numbered in the same sequence as lifecycle ones. */
  registry: Pick<RegistryStore, 'readLedger'>;
  clock: Clock;
  hubName: string;
  /** This endpoint instance. */
  owner: string;
  /** Where this instance takes direct method calls, recorded with each session it opens. */
  methodsUrl?: string;
}

/**
 * Connection state of MQTT sessions, kept as IoT Hub reports it: each connect and disconnect
 * is a `deviceConnectionStateEvents` event committed with the session record and the device's
 * ledger (so its sequence number orders it among the device's events), then relayed from the
 * outbox. A session record names its owner and connection, so a second endpoint taking a
 * device over closes the first one's session in the same commit, and the first one, finding
 * the record changed, drops its connection without reporting anything more.
 */
export class ConnectionStates {
  constructor(private readonly deps: ConnectionStatesDeps) {}

  /** Records a new connection; an open one elsewhere (or here) is reported closed first. */
  async connected(ref: IdentityRef, sessionId: string, generationId: string): Promise<void> {
    await this.transition(ref, generationId, (current) => {
      const ops: ConnectionOperation[] =
        current?.session.connected === true
          ? ['deviceDisconnected', 'deviceConnected']
          : ['deviceConnected'];
      return { ops, next: this.record(ref, sessionId, true) };
    });
  }

  /**
   * Records the end of a connection. Returns false (and records nothing) when the record
   * shows another connection: whoever took the session over reported this one's end.
   */
  async disconnected(ref: IdentityRef, sessionId: string): Promise<boolean> {
    let reported = false;
    await this.transition(ref, '', (current) => {
      if (!current || current.session.sessionId !== sessionId || !current.session.connected)
        return null;
      reported = true;
      return {
        ops: ['deviceDisconnected'],
        next: { ...current.session, connected: false, changedAt: this.now().toISOString() },
      };
    });
    return reported;
  }

  /** Whether the store still shows this connection as the identity's open session. */
  async holds(ref: IdentityRef, sessionId: string): Promise<boolean> {
    const current = await this.deps.sessions.readSession(ref);
    return current?.session.connected === true && current.session.sessionId === sessionId;
  }

  /**
   * Closes, in the store, every session it shows as open through this instance: after a crash
   * nobody reported their end. Returns how many were closed.
   */
  async closeOrphans(): Promise<number> {
    const open = await this.deps.sessions.connectedThrough(this.deps.owner);
    let closed = 0;
    for (const s of open) if (await this.disconnected(s, s.sessionId)) closed++;
    return closed;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private record(ref: IdentityRef, sessionId: string, connected: boolean): SessionRecord {
    return {
      deviceId: ref.deviceId,
      moduleId: ref.moduleId,
      owner: this.deps.owner,
      sessionId,
      connected,
      changedAt: this.now().toISOString(),
      ...(this.deps.methodsUrl === undefined ? {} : { methodsUrl: this.deps.methodsUrl }),
    };
  }

  private async transition(
    ref: IdentityRef,
    generationId: string,
    decide: (
      current: StoredSession | null,
    ) => { ops: ConnectionOperation[]; next: SessionRecord } | null,
  ): Promise<void> {
    for (let round = 1; ; round++) {
      const [ledger, current] = await Promise.all([
        this.deps.registry.readLedger(ref.deviceId),
        this.deps.sessions.readSession(ref),
      ]);
      const decision = decide(current);
      if (!decision) return;
      const now = this.now();
      const built = decision.ops.map((op) =>
        buildConnectionStateNotification(op, ref, { hubName: this.deps.hubName, now }),
      );
      const { notifications, last } = sequenceNotifications(built, ledger.ledger.sequence, now);
      const numbered = notifications.map((n, i) =>
        withSequenceNumber(n, last - built.length + 1 + i),
      );
      try {
        await this.deps.sessions.commit({
          ledger,
          sequence: last,
          generationId,
          expected: current?.etag ?? null,
          next: decision.next,
          notifications: numbered,
        });
        return;
      } catch (error) {
        if (!(error instanceof LedgerConflict) && !(error instanceof SessionConflict)) throw error;
        if (round >= MAX_ROUNDS) throw error;
        // Jitter spreads racing writers of one device (registry writes too) over rounds.
        await delay(Math.random() * Math.min(MAX_BACKOFF_MS, round));
      }
    }
  }
}
