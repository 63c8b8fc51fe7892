import { RegistryError } from '../domain/errors/RegistryError';
import type { DirectMethodResult } from '../domain/methods/DirectMethodCall';
import type { JsonValue } from '../domain/twin/Twin';
import { refKey, type IdentityRef } from '../ports/LivenessStore';
import type { MqttReply } from './twinReply';

/** Sends to an identity's client here if it subscribed to `filter` (false: it did not). */
export type Deliver = (ref: IdentityRef, message: MqttReply, filter: string) => boolean;

export const METHOD_TOPICS = '$iothub/methods/POST/#';

interface Pending {
  key: string;
  resolve: (result: DirectMethodResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Direct method calls to the sessions of this endpoint instance: each is published on
 * `$iothub/methods/POST/{name}/?$rid={rid}` to the identity's client (if it subscribed to
 * methods) and settled by its publish on `$iothub/methods/res/{status}/?$rid={rid}`, or by
 * the timeout. An answer for an unknown request id, or from another identity, is ignored.
 */
export class MethodCalls {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  constructor(private readonly deliver: Deliver) {}

  get inFlight(): number {
    return this.pending.size;
  }

  call(
    ref: IdentityRef,
    methodName: string,
    payload: JsonValue,
    timeoutMs: number,
  ): Promise<DirectMethodResult> {
    // IoT Hub's request ids are hexadecimal counters.
    const rid = (++this.counter).toString(16);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new RegistryError('GatewayTimeout', 'The device did not answer the method in time'));
      }, timeoutMs);
      this.pending.set(rid, { key: refKey(ref), resolve, reject, timer });
      const sent = this.deliver(
        ref,
        {
          topic: `$iothub/methods/POST/${methodName}/?$rid=${rid}`,
          payload: Buffer.from(JSON.stringify(payload)),
        },
        METHOD_TOPICS,
      );
      if (!sent) {
        clearTimeout(timer);
        this.pending.delete(rid);
        reject(
          new RegistryError(
            'DeviceNotOnline',
            'The device is not online: it is not connected here, or has not subscribed to methods',
          ),
        );
      }
    });
  }

  /** Fails every call still waiting (the endpoint is stopping). */
  close(): void {
    for (const [rid, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(rid);
      p.reject(
        new RegistryError('GatewayTimeout', 'The endpoint stopped before the device answered'),
      );
    }
  }

  /** A device published on `$iothub/methods/res/{status}/?$rid={rid}`. */
  answered(ref: IdentityRef, rid: string, status: number, payload: Buffer): void {
    const p = this.pending.get(rid);
    if (!p || p.key !== refKey(ref)) return;
    clearTimeout(p.timer);
    this.pending.delete(rid);
    p.resolve({ status, payload: jsonOf(payload) });
  }
}

/** A device's answer is JSON; anything else is passed on as text, an empty one as null. */
function jsonOf(payload: Buffer): JsonValue {
  if (payload.length === 0) return null;
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
