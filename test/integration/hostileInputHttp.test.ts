import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/domain/auth/signatureMatches';
import { MAX_JSON_DEPTH } from '../../src/domain/json/assertSafeJson';
import { api, errorCode, type ApiReply } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const PAYLOAD = { polluted: 'yes', probePolluted: 'yes' };

/** `{ <key>: PAYLOAD }` with the key as an own property (a computed key never sets a prototype). */
const hostile = (key: string) => ({ [key]: PAYLOAD });

interface Route {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Bodies that hold the key somewhere: at the top level and nested in every section. */
  bodies: (key: string) => unknown[];
}

/**
 * Every key that reaches a prototype, through every route that takes JSON, in every section:
 * each is a 400 that names the key, and the process that served them (this one: the runtime is
 * built in the test process) is alive and has a clean Object.prototype afterwards.
 */
describe('hostile keys and depth in JSON bodies', () => {
  let rt: TestRuntime;
  const call = (method: string, path: string, body: unknown, headers?: Record<string, string>) =>
    api(method, path, { baseUrl: rt.url, body, ...(headers ? { headers } : {}) });
  const expectRefused = (reply: ApiReply, key: string, what: string) => {
    expect(reply.status, `${what}: ${reply.text}`).toBe(400);
    expect(errorCode(reply), what).toBe('ArgumentInvalid');
    expect(reply.json.Message, what).toContain(`'${key}'`);
  };
  const expectClean = () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).probePolluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('probePolluted');
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  };

  beforeAll(async () => {
    rt = await startTestRuntime({}, { jobTrigger: true });
    for (const path of ['/devices/d1', '/devices/d1/modules/m1'])
      expect((await call('PUT', path, {})).status).toBe(200);
  });
  afterAll(() => rt?.stop());

  const twin = (key: string) => [
    { ...hostile(key), tags: { a: 1 } },
    { tags: hostile(key) },
    { tags: { a: { b: hostile(key) } } },
    { properties: hostile(key) },
    { properties: { desired: hostile(key) } },
    { properties: { desired: { a: [{ b: hostile(key) }] } } },
    { properties: { reported: hostile(key) } },
  ];
  const identity = (key: string) => [
    hostile(key),
    { authentication: hostile(key) },
    { authentication: { symmetricKey: hostile(key) } },
    { capabilities: hostile(key) },
  ];
  const routes: Route[] = [
    ...['PATCH', 'PUT'].flatMap((method) =>
      ['/twins/d1', '/twins/d1/modules/m1'].map((path) => ({
        name: `${method} ${path}`,
        method,
        path,
        headers: { 'if-match': '*' },
        bodies: twin,
      })),
    ),
    { name: 'PUT device', method: 'PUT', path: '/devices/d2', bodies: identity },
    { name: 'PUT module', method: 'PUT', path: '/devices/d1/modules/m2', bodies: identity },
    {
      name: 'bulk',
      method: 'POST',
      path: '/devices',
      bodies: (key) => [
        [{ id: 'b1', importMode: 'create' }, hostile(key)],
        [{ id: 'b1', importMode: 'create', ...hostile(key) }],
        [{ id: 'b1', importMode: 'create', tags: { a: hostile(key) } }],
        [{ id: 'b1', importMode: 'create', properties: { desired: hostile(key) } }],
        [{ id: 'b1', importMode: 'create', authentication: hostile(key) }],
      ],
    },
    {
      name: 'query',
      method: 'POST',
      path: '/devices/query',
      bodies: (key) => [
        { query: 'SELECT * FROM devices', ...hostile(key) },
        { query: hostile(key) },
      ],
    },
    {
      name: 'jobs',
      method: 'POST',
      path: '/jobs/create',
      bodies: (key) => [
        {
          type: 'export',
          outputBlobContainerUri: 'https://x.blob.core.windows.net/c',
          ...hostile(key),
        },
        { type: 'export', outputBlobContainerUri: hostile(key) },
      ],
    },
    {
      name: 'certificate',
      method: 'PUT',
      path: '/certificates/ca1',
      bodies: (key) => [
        hostile(key),
        { properties: hostile(key) },
        { properties: { certificate: 'x', ...hostile(key) } },
      ],
    },
    {
      name: 'verify certificate',
      method: 'POST',
      path: '/certificates/ca1/verify',
      bodies: (key) => [hostile(key), { certificate: 'x', nested: hostile(key) }],
    },
    ...['/devices/d1/liveness', '/devices/d1/modules/m1/liveness'].map((path) => ({
      name: `liveness ${path}`,
      method: 'PUT',
      path,
      bodies: (key: string) => [
        { intervalSeconds: 60, ...hostile(key) },
        { intervalSeconds: hostile(key) },
      ],
    })),
  ];

  it('refuses __proto__, constructor and prototype anywhere in any JSON body, naming the key', async () => {
    let sent = 0;
    for (const route of routes)
      for (const key of KEYS)
        for (const body of route.bodies(key)) {
          const text = JSON.stringify(body);
          expect(text, route.name).toContain(`"${key}"`);
          const reply = await call(route.method, route.path, text, route.headers);
          expectRefused(reply, key, `${route.name} ${text}`);
          sent++;
        }
    expect(sent).toBeGreaterThan(100);
    expectClean();
    // Nothing was written: the twins are as created, the bulk and PUT targets do not exist.
    expect((await call('GET', '/twins/d1', undefined)).json).toMatchObject({
      version: 1,
      tags: {},
    });
    expect((await call('GET', '/devices/d2', undefined)).status).toBe(404);
    expect((await call('GET', '/devices/b1', undefined)).status).toBe(404);
    expect((await call('GET', '/devices/d1/modules/m2', undefined)).status).toBe(404);
  });

  it('refuses them in the device endpoint batch form and as application property headers', async () => {
    const key = (await call('GET', '/devices/d1', undefined)).json.authentication.symmetricKey
      .primaryKey as string;
    const sr = encodeURIComponent('localhost/devices/d1');
    const se = Math.floor(rt.clock.now().getTime() / 1000) + 3600;
    const auth = `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}`;
    const batch = { 'content-type': 'application/vnd.microsoft.iothub.json' };
    for (const k of KEYS) {
      for (const body of [
        [{ body: 'aGk=', properties: hostile(k) }],
        [{ body: 'aGk=', ...hostile(k) }],
        [{ body: 'aGk=' }, hostile(k)],
      ]) {
        const reply = await api('POST', '/devices/d1/messages/events', {
          baseUrl: rt.url,
          auth,
          body: JSON.stringify(body),
          headers: batch,
        });
        expectRefused(reply, k, JSON.stringify(body));
      }
      const header = await api('POST', '/devices/d1/messages/events', {
        baseUrl: rt.url,
        auth,
        body: 'hi',
        headers: { [`iothub-app-${k}`]: 'yes' },
      });
      expectRefused(header, k, `header iothub-app-${k}`);
    }
    expectClean();
    // The Event Hubs clients in this process still work: a heartbeat arrives and is counted.
    const ok = await api('POST', '/devices/d1/messages/events', {
      baseUrl: rt.url,
      auth,
      body: 'hi',
      headers: { 'iothub-app-messageType': 'heartbeat' },
    });
    expect(ok.status, ok.text).toBe(204);
    await rt.settled();
    expect((await call('GET', '/devices/d1/liveness', undefined)).json.state).toBe('online');
  });

  it('refuses them in import lines, line by line, and imports the clean ones', async () => {
    const lines = KEYS.flatMap((k) => [
      JSON.stringify({ id: `imp-${k}-top`, ...hostile(k) }),
      JSON.stringify({ id: `imp-${k}-tags`, tags: { a: hostile(k) } }),
      JSON.stringify({ id: `imp-${k}-desired`, properties: { desired: hostile(k) } }),
      JSON.stringify({ id: `imp-${k}-auth`, authentication: hostile(k) }),
    ]);
    lines.push(JSON.stringify({ id: 'imp-clean', tags: { site: 'a' } }));
    const input = await testContainer();
    const output = await testContainer();
    await input.upload('devices.txt', `${lines.join('\n')}\n`);
    const created = await call('POST', '/jobs/create', {
      type: 'import',
      inputBlobContainerUri: await input.sas('rl'),
      outputBlobContainerUri: await output.sas('rwc'),
    });
    expect(created.status, created.text).toBe(200);
    const job = await eventually(async () => {
      const reply = await call('GET', `/jobs/${created.json.jobId}`, undefined);
      return ['completed', 'failed', 'cancelled'].includes(reply.json.status)
        ? reply.json
        : undefined;
    }, 'the import to end');
    expect(job.status).toBe('completed');
    const errors = ((await output.text('importErrors.log')) ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { line: number; errorCode: string; errorStatus: string });
    expect(errors.map((e) => e.line)).toEqual(lines.slice(0, -1).map((_, i) => i + 1));
    for (const error of errors) {
      const k = KEYS[Math.floor((error.line - 1) / 4)]!;
      expect(error.errorCode).toBe('ArgumentInvalid');
      expect(error.errorStatus).toContain(`'${k}'`);
    }
    expect((await call('GET', '/twins/imp-clean', undefined)).json.tags).toEqual({ site: 'a' });
    expect((await call('GET', '/devices/imp-__proto__-top', undefined)).status).toBe(404);
    expectClean();
  });

  it('refuses bodies nested too deep with a 400, arrays in twins included', async () => {
    // 100,000 levels fit the 256 KB body limit as arrays: the walk must not recurse.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const [method, path, text] of [
      ['PATCH', '/twins/d1', `{"tags":{"a":${deep}}}`],
      ['PUT', '/devices/d3', `{"capabilities":${deep}}`],
      ['POST', '/devices', deep],
      ['POST', '/devices/query', `{"query":${deep}}`],
      ['PUT', '/devices/d1/liveness', `{"intervalSeconds":${deep}}`],
    ] as const) {
      const reply = await call(method, path, text, { 'if-match': '*' });
      expect(reply.status, path).toBe(400);
      expect(errorCode(reply)).toBe('ArgumentInvalid');
      expect(reply.json.Message).toContain(`nested more than ${MAX_JSON_DEPTH} levels`);
    }
    // A twin's own limit is 10 levels, the section being the first: 10 nested arrays are 11.
    const arrays = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    const tooDeep = await call('PATCH', '/twins/d1', `{"tags":{"a":${arrays(10)}}}`);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.json.Message).toContain(
      `tags.a${'[0]'.repeat(9)} is nested more than 10 levels`,
    );
    const deepest = await call('PATCH', '/twins/d1', `{"tags":{"a":${arrays(9)}}}`);
    expect(deepest.status, deepest.text).toBe(200);
    expect(deepest.json.tags.a).toEqual(JSON.parse(arrays(9)));
    expect((await call('GET', '/health', undefined)).status).toBe(200);
    expectClean();
  });

  it('refuses a query alias named __proto__, naming it, and stays clean', async () => {
    expect((await call('PUT', '/devices/q1', {})).status).toBe(200);
    expect((await call('PATCH', '/twins/q1', { tags: { site: 'alias-site' } })).status).toBe(200);
    const reply = await call('POST', '/devices/query', {
      query:
        "SELECT tags.site AS __proto__, COUNT() AS n FROM devices WHERE tags.site = 'alias-site' GROUP BY tags.site",
    });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.text).toContain('__proto__');
    expectClean();
  });
});
