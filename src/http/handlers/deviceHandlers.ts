import type { HttpResponseInit } from '@azure/functions';
import { RegistryError } from '../../domain/errors/RegistryError';
import { assertDeviceId } from '../../domain/identity/identityId';
import { parseIfMatch } from '../../domain/identity/IfMatch';
import { deviceJson, NO_ACTIVITY } from '../identityJson';
import { activityOf } from '../activityOf';
import { identityResponse, jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import { deviceBodySchema } from '../schemas/identitySchemas';
import type { ServiceHandler } from '../httpEndpoint';
import { assertSameId, toDeviceInput } from '../toInputs';

export const MAX_LIST_TOP = 1000;

/** The device, with its connection facts from the last-seen map (one point read, in parallel). */
export const getDevice: ServiceHandler = async (request, { devices, liveness }) => {
  const deviceId = assertDeviceId(pathParam(request, 'deviceId'));
  const [device, activity] = await Promise.all([
    devices.get(deviceId),
    activityOf(liveness, { deviceId, moduleId: null }),
  ]);
  return identityResponse(
    deviceJson(
      device,
      activity.generationId === device.generationId || activity.generationId === null
        ? activity.view
        : NO_ACTIVITY,
    ),
  );
};

export const putDevice: ServiceHandler = async (request, { devices }) => {
  const deviceId = assertDeviceId(pathParam(request, 'deviceId'));
  const { deviceId: bodyId, ...body } = await readJsonBody(request, deviceBodySchema, 'device');
  assertSameId('deviceId', bodyId, deviceId);
  const device = await devices.put(
    deviceId,
    toDeviceInput(body),
    parseIfMatch(request.headers.get('if-match')),
  );
  return identityResponse(deviceJson(device));
};

export const deleteDevice: ServiceHandler = async (request, { devices }) => {
  await devices.delete(
    assertDeviceId(pathParam(request, 'deviceId')),
    parseIfMatch(request.headers.get('if-match')),
  );
  return { status: 204 };
};

function parseTop(value: string | null): number {
  if (value === null || value === '') return MAX_LIST_TOP;
  const top = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(top >= 1 && top <= MAX_LIST_TOP)) {
    throw new RegistryError(
      'ArgumentInvalid',
      `top must be a whole number from 1 to ${MAX_LIST_TOP}, not '${value.slice(0, 20)}'`,
    );
  }
  return top;
}

/** Up to `top` devices; a continuation token in `x-ms-continuation` fetches the next page. */
export const listDevices: ServiceHandler = async (
  request,
  { devices },
): Promise<HttpResponseInit> => {
  const top = parseTop(request.query.get('top'));
  const continuation = request.headers.get('x-ms-continuation') ?? undefined;
  const page = await devices.list(top, continuation || undefined);
  return jsonResponse(
    200,
    page.items.map((d) => deviceJson(d)),
    page.continuationToken ? { 'x-ms-continuation': page.continuationToken } : {},
  );
};

export const deviceStatistics: ServiceHandler = async (_request, { devices }) =>
  jsonResponse(200, await devices.statistics());
