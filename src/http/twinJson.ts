import type { Twin } from '../domain/twin/Twin';
import type { ActivityView } from './identityJson';

/**
 * A twin in IoT Hub's JSON shape. `activity`, when given, is fresher than the twin's own
 * connection facts (which change only on a liveness transition).
 */
export function twinJson(twin: Twin, activity?: ActivityView) {
  const { deviceScope, parentScopes, capabilities, moduleId, ...rest } = twin;
  return {
    deviceId: rest.deviceId,
    ...(moduleId === undefined ? {} : { moduleId }),
    etag: rest.etag,
    version: rest.version,
    generationId: rest.generationId,
    status: rest.status,
    statusReason: rest.statusReason,
    statusUpdateTime: rest.statusUpdateTime,
    connectionState: activity?.connectionState ?? rest.connectionState,
    lastActivityTime: activity?.lastActivityTime ?? rest.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authenticationType: rest.authenticationType,
    x509Thumbprint: rest.x509Thumbprint,
    modelId: '',
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(deviceScope === undefined || deviceScope === null ? {} : { deviceScope }),
    ...(parentScopes === undefined || parentScopes === null ? {} : { parentScopes }),
    tags: rest.tags,
    properties: rest.properties,
  };
}
