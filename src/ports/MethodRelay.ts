import type { DirectMethodCall, DirectMethodResult } from '../domain/methods/DirectMethodCall';
import type { IdentityRef } from './LivenessStore';

/**
 * Carries a direct method call to the endpoint instance that holds the identity's session, at
 * the address that instance recorded with the session. Throws RegistryError DeviceNotOnline
 * when that instance does not hold a session that takes methods, GatewayTimeout when the
 * device did not answer in time.
 */
export interface MethodRelay {
  invoke(
    methodsUrl: string,
    ref: IdentityRef,
    call: Omit<DirectMethodCall, 'connectTimeoutSeconds'>,
  ): Promise<DirectMethodResult>;
}
