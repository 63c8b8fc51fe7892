import type { DeviceDraft } from '../identity/DeviceIdentity';
import type { ModuleDraft } from '../identity/ModuleIdentity';
import type { TwinIdentity } from './Twin';

/** The identity facts a twin repeats, from the identity as written. */
export function twinIdentityOf(identity: DeviceDraft | ModuleDraft): TwinIdentity {
  const common = {
    deviceId: identity.deviceId,
    generationId: identity.generationId,
    authenticationType: identity.authentication.type,
    x509Thumbprint: identity.authentication.x509Thumbprint,
  };
  if ('moduleId' in identity)
    // Modules cannot be disabled; IoT Hub's module twins say so.
    return {
      ...common,
      moduleId: identity.moduleId,
      status: 'enabled',
      statusReason: null,
      statusUpdateTime: '0001-01-01T00:00:00Z',
    };
  return {
    ...common,
    status: identity.status,
    statusReason: identity.statusReason,
    statusUpdateTime: identity.statusUpdatedTime,
    capabilities: identity.capabilities,
    deviceScope: identity.deviceScope,
    parentScopes: identity.parentScopes,
  };
}
