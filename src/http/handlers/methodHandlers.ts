import { RegistryError } from '../../domain/errors/RegistryError';
import { assertDeviceId, assertModuleId } from '../../domain/identity/identityId';
import { METHOD_LIMITS } from '../../domain/methods/DirectMethodCall';
import type { JsonValue } from '../../domain/twin/Twin';
import { jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import { methodBodySchema } from '../schemas/methodSchemas';
import type { ServiceHandler } from '../httpEndpoint';

/**
 * `POST /twins/{id}/methods` (and a module's): calls a direct method on the connected device
 * and answers as IoT Hub does, 200 with the device's `{status, payload}`; 404 DeviceNotOnline
 * when it has no session taking methods; 504 GatewayTimeout when it did not answer in time.
 */
export const invokeMethod: ServiceHandler = async (request, { methods }) => {
  const deviceId = assertDeviceId(pathParam(request, 'deviceId'));
  const moduleId =
    request.params.moduleId === undefined ? null : assertModuleId(pathParam(request, 'moduleId'));
  const body = await readJsonBody(request, methodBodySchema, 'method call');
  const payload = (body.payload ?? null) as JsonValue;
  if (Buffer.byteLength(JSON.stringify(payload), 'utf8') > METHOD_LIMITS.payloadBytes)
    throw new RegistryError(
      'MessageTooLarge',
      `The method payload is larger than ${METHOD_LIMITS.payloadBytes / 1024} KB`,
    );
  const result = await methods.invoke(
    { deviceId, moduleId },
    {
      methodName: body.methodName,
      payload,
      responseTimeoutSeconds: body.responseTimeoutInSeconds,
      connectTimeoutSeconds: body.connectTimeoutInSeconds,
    },
  );
  return jsonResponse(200, result);
};
