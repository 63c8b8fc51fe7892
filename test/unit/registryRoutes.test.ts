import { HttpRequest, InvocationContext } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BulkRegistry } from '../../src/application/BulkRegistry';
import { DeviceRegistry } from '../../src/application/DeviceRegistry';
import { ModuleRegistry } from '../../src/application/ModuleRegistry';
import { TwinRegistry } from '../../src/application/TwinRegistry';
import type { RegistryServices } from '../../src/http/RegistryServices';
import { sign } from '../../src/domain/auth/signatureMatches';
import type { SharedAccessPolicy } from '../../src/domain/auth/SharedAccessPolicy';
import { registryRoutes } from '../../src/http/registryRoutes';
import type { RegistryStore } from '../../src/ports/RegistryStore';
import type { LivenessServices } from '../../src/application/liveness/LivenessServices';
import { silentLogger } from '../../src/ports/Logger';
import { noMetrics } from '../../src/ports/Metrics';
import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';

const owner: SharedAccessPolicy = {
  keyName: 'iothubowner',
  primaryKey: randomBytes(32).toString('base64'),
  secondaryKey: randomBytes(32).toString('base64'),
  rights: ['RegistryRead', 'RegistryWrite'],
};
const now = new Date('2026-03-01T00:00:00Z');
// The registry reads the last-seen map on GET; here it holds nothing.
const noLiveness = {
  store: { readMany: () => Promise.resolve(new Map()) },
  logger: silentLogger,
} as unknown as LivenessServices;

function services(store: RegistryStore): RegistryServices {
  const deps = {
    store,
    clock: { now: () => now },
    logger: silentLogger,
    hubName: 'hub',
    maxModulesPerDevice: 20,
  };
  const devices = new DeviceRegistry(deps);
  const modules = new ModuleRegistry(deps);
  return {
    devices,
    modules,
    bulk: new BulkRegistry(devices, modules, silentLogger),
    twins: new TwinRegistry(deps),
    methods: undefined as never,
    queries: undefined as never,
    certificates: undefined as never,
    configurations: undefined as never,
    configurationContent: undefined as never,
    metrics: noMetrics,
    policies: new Map([[owner.keyName, owner]]),
    clock: deps.clock,
    hostNames: ['myhub.example.net'],
    liveness: noLiveness,
    deviceIngress: undefined as never,
    jobs: undefined as never,
    jobWorker: undefined as never,
    relay: undefined as never,
    catalog: undefined as never,
    dependencies: undefined as never,
    health: undefined as never,
  };
}

function token(sr = 'myhub.example.net'): string {
  const se = Math.floor(now.getTime() / 1000) + 60;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(owner.primaryKey, sr, se))}&se=${se}&skn=iothubowner`;
}

function invoke(
  store: RegistryStore,
  name: string,
  init: {
    method: string;
    path: string;
    params?: Record<string, string>;
    body?: string;
    auth?: string;
    host?: string;
  },
) {
  const route = registryRoutes(() => Promise.resolve(services(store))).find(
    (r) => r.name === name,
  )!;
  const errors: unknown[][] = [];
  const context = new InvocationContext({
    functionName: name,
    logHandler: (level, ...args) => level === 'error' && errors.push(args),
  });
  const request = new HttpRequest({
    method: init.method,
    url: `https://${init.host ?? 'myhub.example.net'}${init.path}?api-version=2021-04-12`,
    headers: {
      authorization: init.auth ?? token(),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    params: init.params ?? {},
    ...(init.body ? { body: { string: init.body } } : {}),
  });
  return { reply: route.handler(request, context), errors };
}

describe('registry route handlers, called as the Functions host calls them', () => {
  it('creates a device for a token issued for the configured host name', async () => {
    const store = new InMemoryRegistryStore();
    const { reply } = invoke(store, 'putDevice', {
      method: 'PUT',
      path: '/devices/d1',
      params: { deviceId: 'd1' },
      body: '{}',
    });
    const response = await reply;
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['content-type']).toBe(
      'application/json; charset=utf-8',
    );
    expect(JSON.parse(response.body as string).deviceId).toBe('d1');
    expect(store.devices.has('d1')).toBe(true);
  });

  it('binds tokens to the configured host name, whatever host the request URL names', async () => {
    const store = new InMemoryRegistryStore();
    const put = (init: { host?: string; path?: string; auth?: string; body?: string }) =>
      invoke(store, 'putDevice', {
        method: 'PUT',
        path: init.path ?? '/devices/d1',
        params: { deviceId: 'd1' },
        body: init.body ?? '{}',
        ...(init.host ? { host: init.host } : {}),
        ...(init.auth ? { auth: init.auth } : {}),
      }).reply;
    const replay = await put({ host: 'other.example', auth: token('other.example') });
    expect(replay.status).toBe(401);
    expect((await put({ path: '//other.example/devices/d1' })).status).toBe(400);
    const hostile = await put({ body: '{"capabilities":{"__proto__":{"iotEdge":true}}}' });
    expect(hostile.status).toBe(400);
    expect(hostile.body as string).toContain("'__proto__'");
    expect(await store.readDevice('d1')).toBeNull();
    expect((await put({ host: 'other.example' })).status).toBe(200);
  });

  it('answers an unexpected failure with a generic 500 and logs it through the context', async () => {
    const broken = new InMemoryRegistryStore();
    broken.readDevice = () => Promise.reject(new Error('socket hang up at 10.0.0.7 with key abc'));
    const { reply, errors } = invoke(broken, 'getDevice', {
      method: 'GET',
      path: '/devices/d1',
      params: { deviceId: 'd1' },
    });
    const response = await reply;
    expect(response.status).toBe(500);
    expect(response.body).toMatch(/^\{"Message":"ErrorCode:ServerError;/);
    expect(response.body).not.toContain('socket hang up');
    expect(errors).toHaveLength(1);
  });

  it('checks authorization before touching the store', async () => {
    const store = new InMemoryRegistryStore();
    let reads = 0;
    store.readDevice = () => {
      reads++;
      return Promise.resolve(null);
    };
    const { reply } = invoke(store, 'getDevice', {
      method: 'GET',
      path: '/devices/d1',
      params: { deviceId: 'd1' },
      auth: token('otherhub.example.net'),
    });
    expect((await reply).status).toBe(401);
    expect(reads).toBe(0);
  });
});
