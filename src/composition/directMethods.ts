import { HttpMethodRelay } from '../adapters/methods/HttpMethodRelay';
import { DirectMethods } from '../application/methods/DirectMethods';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import { RegistryError } from '../domain/errors/RegistryError';
import type { Clock } from '../ports/Clock';
import type { Logger } from '../ports/Logger';
import type { MethodRelay } from '../ports/MethodRelay';
import type { RegistryStore } from '../ports/RegistryStore';
import type { SessionStore } from '../ports/SessionStore';

export interface DirectMethodsEnvironment {
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  hostName: string;
  registry: RegistryStore;
  sessions: SessionStore;
  clock: Clock;
  logger: Logger;
}

/**
 * Direct methods' capability: session records read from the identity container, calls relayed
 * over HTTP signed with a ServiceConnect policy the MQTT endpoint shares (`service`, else the
 * first with that right). Without one, every call is a 500 that says so.
 */
export function directMethods(env: DirectMethodsEnvironment): DirectMethods {
  const policies = [...env.policies.values()].filter((p) => p.rights.includes('ServiceConnect'));
  const policy = policies.find((p) => p.keyName === 'service') ?? policies[0];
  const relay: MethodRelay = policy
    ? new HttpMethodRelay(policy, env.hostName, env.clock, env.logger)
    : {
        invoke: () =>
          Promise.reject(
            new RegistryError('ServerError', 'No shared access policy has ServiceConnect'),
          ),
      };
  return new DirectMethods({ registry: env.registry, sessions: env.sessions, relay });
}
