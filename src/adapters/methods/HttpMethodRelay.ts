import { z } from 'zod';
import type { SharedAccessPolicy } from '../../domain/auth/SharedAccessPolicy';
import { RegistryError } from '../../domain/errors/RegistryError';
import {
  methodRelayResource,
  type DirectMethodCall,
  type DirectMethodResult,
} from '../../domain/methods/DirectMethodCall';
import { methodRelayToken } from '../../domain/methods/methodRelayToken';
import type { JsonValue } from '../../domain/twin/Twin';
import type { Clock } from '../../ports/Clock';
import type { IdentityRef } from '../../ports/LivenessStore';
import type { Logger } from '../../ports/Logger';
import type { MethodRelay } from '../../ports/MethodRelay';

/** Beyond the device's own time: the hop to the endpoint and back. */
const HOP_MS = 5_000;

const answer = z.object({ status: z.number().int(), payload: z.unknown() });
const refusal = z.object({
  code: z.enum(['DeviceNotOnline', 'GatewayTimeout']),
  message: z.string(),
});

/**
 * Carries a method call over HTTP to the endpoint instance's internal methods listener, at
 * the address its session record holds, with a token of a ServiceConnect policy that covers
 * only this identity's methods and expires with the call. An instance that cannot be reached
 * holds no session any more (it crashed or stopped): the device is not online.
 */
export class HttpMethodRelay implements MethodRelay {
  constructor(
    private readonly policy: SharedAccessPolicy,
    private readonly hostName: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async invoke(
    methodsUrl: string,
    ref: IdentityRef,
    call: Omit<DirectMethodCall, 'connectTimeoutSeconds'>,
  ): Promise<DirectMethodResult> {
    const url = new URL('/methods', methodsUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RegistryError('ServerError', 'The session names no usable methods address');
    const timeoutMs = call.responseTimeoutSeconds * 1000 + HOP_MS;
    const expiresAt = new Date(this.clock.now().getTime() + timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: methodRelayToken(
            this.policy,
            methodRelayResource(this.hostName, ref),
            expiresAt,
          ),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ deviceId: ref.deviceId, moduleId: ref.moduleId, ...call }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new RegistryError('GatewayTimeout', 'The device did not answer the method in time');
      throw new RegistryError(
        'DeviceNotOnline',
        'The device is not online: the endpoint that held its session does not answer',
      );
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.status === 200) {
      const parsed = answer.safeParse(body);
      if (parsed.success)
        return { status: parsed.data.status, payload: (parsed.data.payload ?? null) as JsonValue };
    } else {
      const parsed = refusal.safeParse(body);
      if (parsed.success) throw new RegistryError(parsed.data.code, parsed.data.message);
    }
    this.logger.error(`Direct methods: the MQTT endpoint answered ${response.status}`);
    throw new RegistryError('ServerError', 'The method call could not be delivered: retry');
  }
}
