import { beforeAll, describe, expect, it } from 'vitest';
import type { RegistryServices } from '../../src/http/RegistryServices';
import { routes } from '../../src/http/routes';
import { errorReply } from '../../src/http/openapi/replySchemas';
import { api, uniqueId, type ApiReply } from '../support/registryApi';

const docs = new Map(
  routes(() => Promise.resolve({} as RegistryServices)).map((r) => [r.name, r.doc]),
);

type Document = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

describe('replies against the served OpenAPI document', () => {
  let document: Document;
  beforeAll(async () => {
    const reply = await api('GET', '/openapi.json', { auth: null, apiVersion: null });
    expect(reply.status).toBe(200);
    document = reply.json as Document;
  });

  /** The reply's status is documented for the route, and its body has the documented shape. */
  const documented = (name: string, method: string, path: string, reply: ApiReply) => {
    const responses = document.paths[path]?.[method.toLowerCase()]?.responses ?? {};
    expect(Object.keys(responses), `${name}: ${reply.status}`).toContain(String(reply.status));
    const [status, schema] = docs.get(name)!.success;
    if (reply.status === status) {
      if (schema) {
        const parsed = schema.safeParse(reply.json);
        expect(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      }
    } else expect(errorReply.safeParse(reply.json).success, name).toBe(true);
  };

  it('serves the document and a health probe without a token', async () => {
    expect(document.paths['/devices/{deviceId}']).toBeDefined();
    const health = await api('GET', '/health', { auth: null, apiVersion: null });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', ready: true });
  });

  it('answers as documented, successes and errors alike', async () => {
    const deviceId = uniqueId('oa');
    const d = `/devices/${deviceId}`;
    const calls: [string, string, string, string, object?][] = [
      ['putDevice', 'PUT', '/devices/{deviceId}', d, {}],
      ['putDevice', 'PUT', '/devices/{deviceId}', d, {}], // 409
      ['getDevice', 'GET', '/devices/{deviceId}', d],
      ['getDevice', 'GET', '/devices/{deviceId}', `/devices/${uniqueId('none')}`], // 404
      ['getDevice', 'GET', '/devices/{deviceId}', '/devices/bad%23id'], // 400
      ['listDevices', 'GET', '/devices', '/devices?top=5'],
      ['deviceStatistics', 'GET', '/statistics/devices', '/statistics/devices'],
      ['putModule', 'PUT', '/devices/{deviceId}/modules/{moduleId}', `${d}/modules/m1`, {}],
      ['listModules', 'GET', '/devices/{deviceId}/modules', `${d}/modules`],
      ['getTwin', 'GET', '/twins/{deviceId}', `/twins/${deviceId}`],
      ['patchTwin', 'PATCH', '/twins/{deviceId}', `/twins/${deviceId}`, { tags: { a: 1 } }],
      [
        'getModuleTwin',
        'GET',
        '/twins/{deviceId}/modules/{moduleId}',
        `/twins/${deviceId}/modules/m1`,
      ],
      ['getDeviceLiveness', 'GET', '/devices/{deviceId}/liveness', `${d}/liveness`],
      ['livenessSummary', 'GET', '/liveness/summary', '/liveness/summary'],
      ['listJobs', 'GET', '/jobs', '/jobs'],
      ['listCertificates', 'GET', '/certificates', '/certificates'],
      [
        'bulkDevices',
        'POST',
        '/devices',
        '/devices',
        [{ id: uniqueId('oab'), importMode: 'create' }],
      ],
      [
        'queryDevices',
        'POST',
        '/devices/query',
        '/devices/query',
        { query: `SELECT * FROM devices WHERE deviceId = '${deviceId}'` },
      ],
      ['queryDevices', 'POST', '/devices/query', '/devices/query', { query: 'SELECT FROM' }], // 400
    ];
    for (const [name, method, template, path, body] of calls) {
      const reply = await api(method, path, body === undefined ? {} : { body });
      documented(name, method, template, reply);
    }
    // Liveness entries may take a moment to appear: a 404 before then is documented too.
    const unauthenticated = await api('GET', d, { auth: null });
    documented('getDevice', 'GET', '/devices/{deviceId}', unauthenticated);
  });
});
