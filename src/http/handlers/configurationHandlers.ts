import { RegistryError } from '../../domain/errors/RegistryError';
import { assertConfigurationId } from '../../domain/configurations/configurationId';
import type { ConfigurationContent } from '../../domain/configurations/Configuration';
import { assertDeviceId } from '../../domain/identity/identityId';
import { parseIfMatch } from '../../domain/identity/IfMatch';
import { configurationJson } from '../configurationJson';
import { identityResponse, jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import {
  configurationBodySchema,
  configurationContentSchema,
  testQueriesBodySchema,
} from '../schemas/configurationSchema';
import type { ServiceHandler } from '../httpEndpoint';
import { assertSameId } from '../toInputs';

const withoutNulls = (c: {
  deviceContent?: Record<string, unknown> | null | undefined;
  moduleContent?: Record<string, unknown> | null | undefined;
  modulesContent?: Record<string, unknown> | null | undefined;
}): ConfigurationContent => {
  const content: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== null && v !== undefined) content[k] = v;
  return content;
};

/** `PUT /configurations/{id}`: create (no If-Match) or update (If-Match: etag or *). */
export const putConfiguration: ServiceHandler = async (request, { configurations }) => {
  const id = assertConfigurationId(pathParam(request, 'configurationId'));
  const body = await readJsonBody(request, configurationBodySchema, 'configuration');
  assertSameId('id', body.id, id);
  const stored = await configurations.put(
    {
      id,
      schemaVersion: body.schemaVersion ?? '1.0',
      labels: body.labels ?? {},
      content: withoutNulls(body.content),
      targetCondition: body.targetCondition ?? '',
      priority: body.priority ?? 0,
      metrics: { queries: body.metrics?.queries ?? {} },
    },
    parseIfMatch(request.headers.get('if-match')),
  );
  return identityResponse(configurationJson(stored));
};

export const getConfiguration: ServiceHandler = async (request, { configurations }) => {
  const id = assertConfigurationId(pathParam(request, 'configurationId'));
  return identityResponse(configurationJson(await configurations.get(id)));
};

/** `GET /configurations[?top=n]`: IoT Hub's list, oldest first; no paging (as IoT Hub). */
export const listConfigurations: ServiceHandler = async (request, { configurations }) => {
  const raw = request.query.get('top');
  const top = raw === null || raw === '' ? 1000 : Number(raw);
  if (!Number.isInteger(top) || top < 1)
    throw new RegistryError('ArgumentInvalid', 'top must be a whole number from 1');
  return jsonResponse(200, (await configurations.list(top)).map(configurationJson));
};

export const deleteConfiguration: ServiceHandler = async (request, { configurations }) => {
  const id = assertConfigurationId(pathParam(request, 'configurationId'));
  await configurations.delete(id, parseIfMatch(request.headers.get('if-match')));
  return { status: 204 };
};

/** `POST /configurations/testQueries`: parses a condition and metric queries, stores nothing. */
export const testConfigurationQueries: ServiceHandler = async (request, { configurations }) => {
  const body = await readJsonBody(request, testQueriesBodySchema, 'test input');
  return jsonResponse(
    200,
    configurations.testQueries(body.targetCondition ?? '', body.customMetricQueries ?? {}),
  );
};

/**
 * `POST /devices/{id}/applyConfigurationContent` (IoT Hub's "apply on edge device", also at
 * `POST /configurations/{id}/applyOnEdgeDevice`): writes the content to the twins at once.
 */
export const applyConfigurationContent: ServiceHandler = async (
  request,
  { configurationContent },
) => {
  const deviceId = assertDeviceId(pathParam(request, 'deviceId'));
  const body = await readJsonBody(request, configurationContentSchema, 'configuration content');
  await configurationContent.apply(deviceId, withoutNulls(body));
  return jsonResponse(200, {});
};
