import { setTimeout as delay } from 'node:timers/promises';
import { isRegistryError } from '../../domain/errors/RegistryError';
import type { IdentityChangeObserver } from '../../ports/IdentityChangeObserver';
import { refKey, type IdentityRef } from '../../ports/LivenessStore';
import type { Logger } from '../../ports/Logger';
import type { Clock } from '../../ports/Clock';
import type { DeviceAuthenticator } from '../device/DeviceAuthenticator';
import type { ConnectionStates } from './ConnectionStates';

/** What a session authenticated with: checked again while it lasts. */
export interface SessionCredentials {
  authorization: string | null;
  clientCertificate: Buffer | null;
}

export interface LiveSession {
  readonly ref: IdentityRef;
  readonly sessionId: string;
  readonly credentials: SessionCredentials;
  /** Drops the connection (its end is then reported through `end`). */
  readonly close: () => void;
  checkedAt: number;
  ended: boolean;
}

export interface LiveSessionsOptions {
  /** A session is checked again at most this often... */
  checkIntervalMs: number;
  /** ...and no more sessions than this are checked per second, whatever their number. */
  checksPerSecond: number;
}

const TICK_MS = 250;
const END_ATTEMPTS = 5;
const CHECKS_IN_FLIGHT = 32;

/**
 * The sessions this endpoint instance holds. Each stays only while its credentials would still
 * be accepted and the store still names it the identity's session: checked again when an event
 * says the identity (or its session) changed, and periodically, at a bounded rate, for changes
 * no event reports (a key regenerated in another instance). A session failing a check is
 * dropped; its end is recorded unless another endpoint took it over (and recorded it).
 */
export class LiveSessions {
  /** In check order: the least recently checked first. */
  private readonly byKey = new Map<string, LiveSession>();
  private readonly byDevice = new Map<string, Set<LiveSession>>();
  private readonly ending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = 0;
  private stopped = false;

  constructor(
    private readonly authenticator: DeviceAuthenticator,
    private readonly states: ConnectionStates,
    private readonly credentialCache: IdentityChangeObserver,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: LiveSessionsOptions,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Records the connection (before the CONNACK) and starts watching it. */
  async open(
    ref: IdentityRef,
    sessionId: string,
    generationId: string,
    credentials: SessionCredentials,
    close: () => void,
  ): Promise<LiveSession> {
    await this.states.connected(ref, sessionId, generationId);
    const session: LiveSession = {
      ref,
      sessionId,
      credentials,
      close,
      checkedAt: Date.now(),
      ended: false,
    };
    const key = refKey(ref);
    this.byKey.delete(key);
    this.byKey.set(key, session);
    const ofDevice = this.byDevice.get(ref.deviceId) ?? new Set();
    ofDevice.add(session);
    this.byDevice.set(ref.deviceId, ofDevice);
    return session;
  }

  /** The connection is gone: record its end (unless the session moved elsewhere meanwhile). */
  end(session: LiveSession): Promise<void> {
    if (session.ended) return Promise.resolve();
    session.ended = true;
    const key = refKey(session.ref);
    if (this.byKey.get(key) === session) this.byKey.delete(key);
    const ofDevice = this.byDevice.get(session.ref.deviceId);
    ofDevice?.delete(session);
    if (ofDevice?.size === 0) this.byDevice.delete(session.ref.deviceId);
    const done = this.recordEnd(session).finally(() => this.ending.delete(done));
    this.ending.add(done);
    return done;
  }

  /** A lifecycle event named the identity: its sessions (a device's: its modules' too) are checked now. */
  identityChanged(deviceId: string, moduleId: string | null): void {
    this.credentialCache.identityChanged(deviceId, moduleId);
    for (const s of this.byDevice.get(deviceId) ?? [])
      if (moduleId === null || s.ref.moduleId === moduleId) void this.check(s);
  }

  /** A connection state event named the identity: whether its session is still here is checked now. */
  sessionChanged(ref: IdentityRef): void {
    const session = this.byKey.get(refKey(ref));
    if (session) void this.check(session, { credentials: false });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /**
   * Stops checking, records the end of every session (their connections are closed by now)
   * and waits up to `ms` for those records.
   */
  async stop(ms: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const session of [...this.byKey.values()]) void this.end(session);
    await Promise.race([Promise.allSettled([...this.ending]), delay(ms)]);
  }

  private tick(): void {
    const now = Date.now();
    let budget = Math.max(1, Math.floor((this.options.checksPerSecond * TICK_MS) / 1000));
    for (const session of this.byKey.values()) {
      if (budget <= 0 || this.checking >= CHECKS_IN_FLIGHT) break;
      if (session.checkedAt + this.options.checkIntervalMs > now) break;
      budget--;
      void this.check(session);
    }
  }

  private async check(session: LiveSession, what = { credentials: true }): Promise<void> {
    if (session.ended) return;
    const key = refKey(session.ref);
    // Back of the line: the map stays ordered by the time of the last check.
    session.checkedAt = Date.now();
    if (this.byKey.get(key) === session) {
      this.byKey.delete(key);
      this.byKey.set(key, session);
    }
    this.checking++;
    try {
      const reason = await this.failedCheck(session, what.credentials);
      if (reason && !session.ended) {
        this.logger.info(`MQTT: closing the session of ${describe(session.ref)}: ${reason}`);
        session.close();
      }
    } catch (error) {
      // The registry or the store is unreachable: the session stays until a check can decide.
      this.logger.warn(
        `MQTT: the session of ${describe(session.ref)} could not be checked: ${(error as Error).message}`,
      );
    } finally {
      this.checking--;
    }
  }

  private async failedCheck(session: LiveSession, credentials: boolean): Promise<string | null> {
    if (credentials) {
      // A fresh read: the point is to see changes made through other instances.
      this.credentialCache.identityChanged(session.ref.deviceId, session.ref.moduleId);
      try {
        await this.authenticator.authenticate({
          path: session.ref,
          ...session.credentials,
          now: this.clock.now(),
        });
      } catch (error) {
        if (isRegistryError(error) && error.code === 'IotHubUnauthorizedAccess')
          return error.message;
        throw error;
      }
    }
    if (!(await this.states.holds(session.ref, session.sessionId)))
      return 'the session was taken over by another connection';
    return null;
  }

  private async recordEnd(session: LiveSession): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.states.disconnected(session.ref, session.sessionId);
        return;
      } catch (error) {
        if (attempt >= END_ATTEMPTS || this.stopped) {
          // The store keeps it open under this instance: the next start closes it.
          this.logger.error(
            `MQTT: the end of the session of ${describe(session.ref)} could not be recorded`,
            error,
          );
          return;
        }
        await delay(200 * 2 ** attempt);
      }
    }
  }
}

const describe = (ref: IdentityRef) =>
  ref.moduleId === null ? `'${ref.deviceId}'` : `'${ref.deviceId}/${ref.moduleId}'`;
