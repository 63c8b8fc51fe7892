import { setTimeout as delay } from 'node:timers/promises';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { DirectMethodCall, DirectMethodResult } from '../../domain/methods/DirectMethodCall';
import type { IdentityRef } from '../../ports/LivenessStore';
import type { MethodRelay } from '../../ports/MethodRelay';
import type { RegistryStore } from '../../ports/RegistryStore';
import type { SessionRecord, SessionStore } from '../../ports/SessionStore';

/** While a call waits for its device to connect, the session record is read this often. */
const CONNECT_POLL_MS = 250;

export interface DirectMethodsDeps {
  registry: Pick<RegistryStore, 'readDevice' | 'readModule'>;
  sessions: Pick<SessionStore, 'readSession'>;
  relay: MethodRelay;
}

const notOnline = (ref: IdentityRef) =>
  new RegistryError(
    'DeviceNotOnline',
    `${ref.moduleId === null ? `Device '${ref.deviceId}'` : `Module '${ref.deviceId}/${ref.moduleId}'`} is not online: it has no MQTT session that takes direct methods`,
  );

/**
 * Direct methods as IoT Hub invokes them: the identity must be registered, connected (waiting
 * up to `connectTimeoutSeconds` for it to connect) and subscribed to methods; the call goes to
 * the endpoint instance its session record names, and the device's answer comes back, or a
 * GatewayTimeout after `responseTimeoutSeconds`.
 */
export class DirectMethods {
  constructor(private readonly deps: DirectMethodsDeps) {}

  async invoke(ref: IdentityRef, call: DirectMethodCall): Promise<DirectMethodResult> {
    await this.assertRegistered(ref);
    const deadline = Date.now() + call.connectTimeoutSeconds * 1000;
    for (;;) {
      const session = await this.onlineSession(ref);
      if (session?.methodsUrl !== undefined) {
        try {
          return await this.deps.relay.invoke(session.methodsUrl, ref, call);
        } catch (error) {
          // Not subscribed yet (or the session just moved): keep waiting while the call may.
          if (!(error instanceof RegistryError && error.code === 'DeviceNotOnline')) throw error;
          if (Date.now() + CONNECT_POLL_MS > deadline) throw error;
        }
      } else if (Date.now() + CONNECT_POLL_MS > deadline) throw notOnline(ref);
      await delay(CONNECT_POLL_MS);
    }
  }

  private async onlineSession(ref: IdentityRef): Promise<SessionRecord | null> {
    const stored = await this.deps.sessions.readSession(ref);
    return stored?.session.connected ? stored.session : null;
  }

  private async assertRegistered(ref: IdentityRef): Promise<void> {
    const device = await this.deps.registry.readDevice(ref.deviceId);
    if (!device)
      throw new RegistryError('DeviceNotFound', `Device '${ref.deviceId}' is not registered`);
    if (ref.moduleId !== null && !(await this.deps.registry.readModule(ref.deviceId, ref.moduleId)))
      throw new RegistryError(
        'ModuleNotFound',
        `Module '${ref.moduleId}' is not registered on device '${ref.deviceId}'`,
      );
  }
}
