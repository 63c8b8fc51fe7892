import type { HttpRequest } from '@azure/functions';
import { RegistryError } from '../../domain/errors/RegistryError';
import { assertDeviceId, assertModuleId } from '../../domain/identity/identityId';
import { parseIfMatch } from '../../domain/identity/IfMatch';
import type { JsonObject } from '../../domain/twin/Twin';
import type { TwinChange } from '../../domain/twin/updateTwinState';
import { activityOf } from '../activityOf';
import { identityResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import { twinBodySchema } from '../schemas/twinSchemas';
import type { ServiceHandler } from '../httpEndpoint';
import { assertSameId } from '../toInputs';
import { twinJson } from '../twinJson';

const refOf = (request: HttpRequest) => {
  const deviceId = assertDeviceId(pathParam(request, 'deviceId'));
  const moduleId =
    request.params.moduleId === undefined ? null : assertModuleId(pathParam(request, 'moduleId'));
  return { deviceId, moduleId };
};

export const getTwin: ServiceHandler = async (request, { twins, liveness }) => {
  const ref = refOf(request);
  const [twin, activity] = await Promise.all([
    twins.get(ref.deviceId, ref.moduleId),
    activityOf(liveness, ref),
  ]);
  const current = activity.generationId === null || activity.generationId === twin.generationId;
  return identityResponse(twinJson(twin, current ? activity.view : undefined));
};

const updateTwin =
  (mode: 'merge' | 'replace'): ServiceHandler =>
  async (request, { twins }) => {
    const { deviceId, moduleId } = refOf(request);
    const body = await readJsonBody(request, twinBodySchema, 'twin');
    assertSameId('deviceId', body.deviceId, deviceId);
    if (moduleId !== null) assertSameId('moduleId', body.moduleId, moduleId);
    const change: TwinChange = {};
    if (body.tags !== undefined) change.tags = body.tags as JsonObject;
    if (body.properties?.desired !== undefined)
      change.desired = body.properties.desired as JsonObject;
    if (change.tags === undefined && change.desired === undefined)
      throw new RegistryError(
        'ArgumentInvalid',
        'The body changes nothing: send "tags" and/or "properties": { "desired": {…} }',
      );
    const twin = await twins.update(
      deviceId,
      moduleId,
      change,
      mode,
      parseIfMatch(request.headers.get('if-match')),
    );
    return identityResponse(twinJson(twin));
  };

/** PATCH: merges tags and desired properties into the twin; null deletes a key. */
export const patchTwin = updateTwin('merge');
/** PUT: replaces the twin's tags and desired properties with the ones sent. */
export const putTwin = updateTwin('replace');
