import { assertDeviceId, assertModuleId } from '../../domain/identity/identityId';
import { parseIfMatch } from '../../domain/identity/IfMatch';
import { moduleJson, NO_ACTIVITY } from '../identityJson';
import { activityOf } from '../activityOf';
import { identityResponse, jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import { moduleBodySchema } from '../schemas/identitySchemas';
import type { ServiceHandler } from '../httpEndpoint';
import { assertSameId, toModuleInput } from '../toInputs';

const ids = (request: Parameters<ServiceHandler>[0]) =>
  [
    assertDeviceId(pathParam(request, 'deviceId')),
    assertModuleId(pathParam(request, 'moduleId')),
  ] as const;

export const getModule: ServiceHandler = async (request, { modules, liveness }) => {
  const [deviceId, moduleId] = ids(request);
  const [module, activity] = await Promise.all([
    modules.get(deviceId, moduleId),
    activityOf(liveness, { deviceId, moduleId }),
  ]);
  const current = activity.generationId === null || activity.generationId === module.generationId;
  return identityResponse(moduleJson(module, current ? activity.view : NO_ACTIVITY));
};

export const listModules: ServiceHandler = async (request, { modules }) =>
  jsonResponse(
    200,
    (await modules.list(assertDeviceId(pathParam(request, 'deviceId')))).map((m) => moduleJson(m)),
  );

export const putModule: ServiceHandler = async (request, { modules }) => {
  const [deviceId, moduleId] = ids(request);
  const body = await readJsonBody(request, moduleBodySchema, 'module');
  assertSameId('deviceId', body.deviceId, deviceId);
  assertSameId('moduleId', body.moduleId, moduleId);
  const module = await modules.put(
    deviceId,
    moduleId,
    toModuleInput(body),
    parseIfMatch(request.headers.get('if-match')),
  );
  return identityResponse(moduleJson(module));
};

export const deleteModule: ServiceHandler = async (request, { modules }) => {
  await modules.delete(...ids(request), parseIfMatch(request.headers.get('if-match')));
  return { status: 204 };
};
