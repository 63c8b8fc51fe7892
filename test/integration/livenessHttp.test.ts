import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTimer } from '../../local/LocalTimer';
import { silentLogger } from '../../src/ports/Logger';
import { api } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

describe('liveness end to end: registry → lifecycle stream → map → sweep → API', () => {
  let rt: TestRuntime;
  const call = (method: string, path: string, body?: unknown) =>
    api(method, path, { baseUrl: rt.url, ...(body === undefined ? {} : { body }) });
  // As an IoT Hub route delivers telemetry: the hub's stamps travel as properties here.
  const heartbeat = (deviceId: string, extra: Record<string, string> = {}, moduleId?: string) =>
    rt.send([
      {
        partitionKey: deviceId,
        data: {
          body: '',
          properties: {
            messageType: 'heartbeat',
            ...extra,
            'iothub-connection-device-id': deviceId,
            ...(moduleId ? { 'iothub-connection-module-id': moduleId } : {}),
            'iothub-message-source': 'Telemetry',
            'iothub-enqueuedtime': rt.clock.now().toISOString(),
          },
        },
      },
    ]);
  const settle = () => rt.settled();
  // What a query sees: the twins' copy of the map's transitions.
  const queried = async (deviceId: string) =>
    (
      await call('POST', '/devices/query', {
        query: `SELECT connectionState, lastActivityTime FROM devices WHERE deviceId = '${deviceId}'`,
      })
    ).json as { connectionState: string; lastActivityTime: string }[];

  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(() => rt.stop());

  it('tracks a device from create to silent to recovered, and the registry shows it', async () => {
    await call('PUT', '/devices/e2e-1', {});
    await settle();
    expect((await call('GET', '/devices/e2e-1/liveness')).json).toMatchObject({
      state: 'neverSeen',
      intervalSeconds: 60,
      intervalSource: 'default',
    });

    rt.clock.set('2026-01-01T00:01:00.000Z');
    await heartbeat('e2e-1', { intervalSeconds: '30' });
    await settle();
    const online = (await call('GET', '/devices/e2e-1/liveness')).json;
    expect(online).toMatchObject({
      state: 'online',
      lastSeen: '2026-01-01T00:01:00.000Z',
      intervalSeconds: 30,
      intervalSource: 'declared',
      deadline: '2026-01-01T00:02:00.000Z',
    });
    const device = (await call('GET', '/devices/e2e-1')).json;
    expect(device).toMatchObject({
      connectionState: 'Connected',
      lastActivityTime: '2026-01-01T00:01:00Z',
    });
    expect(await queried('e2e-1')).toEqual([
      { connectionState: 'Connected', lastActivityTime: '2026-01-01T00:01:00.000Z' },
    ]);

    rt.clock.set('2026-01-01T00:02:01.000Z');
    expect(await rt.runtime.services.liveness.sweep.sweep(rt.clock.now())).toMatchObject({
      silenced: 1,
      current: true,
    });
    expect((await call('GET', '/devices/e2e-1')).json.connectionState).toBe('Disconnected');
    const silent = await call('GET', '/liveness?state=silent');
    expect((silent.json as { deviceId: string }[]).map((r) => r.deviceId)).toEqual(['e2e-1']);
    const silentTwins = await call('POST', '/devices/query', {
      query: "SELECT deviceId FROM devices WHERE connectionState = 'Disconnected'",
    });
    expect(silentTwins.json).toContainEqual({ deviceId: 'e2e-1' });
    expect(await queried('e2e-1')).toEqual([
      { connectionState: 'Disconnected', lastActivityTime: '2026-01-01T00:01:00.000Z' },
    ]);

    rt.clock.set('2026-01-01T00:05:00.000Z');
    await heartbeat('e2e-1');
    await settle();
    const alerts = (await call('GET', '/liveness/alerts')).json as { kind: string }[];
    expect(alerts.map((a) => a.kind)).toEqual(['silent', 'recovered']);
    expect(await queried('e2e-1')).toEqual([
      { connectionState: 'Connected', lastActivityTime: '2026-01-01T00:05:00.000Z' },
    ]);
    expect(alerts[1]).toMatchObject({ deviceId: 'e2e-1', outageSeconds: 240 });
    // Newest first, one device's, a page of one; bad options are 400s that say what to fix.
    const newest = await call('GET', '/liveness/alerts?order=newest&deviceId=e2e-1&top=1');
    expect(newest.json).toEqual([alerts[1]]);
    expect(newest.headers.get('x-ms-continuation')).toBeTruthy();
    expect((await call('GET', '/liveness/alerts?deviceId=nobody')).json).toEqual([]);
    const badOrder = await call('GET', '/liveness/alerts?order=sideways');
    expect(badOrder.status).toBe(400);
    expect(JSON.stringify(badOrder.json)).toContain('order must be oldest or newest');
    expect((await call('GET', '/liveness/alerts?top=0')).status).toBe(400);
    const summary = (await call('GET', '/liveness/summary')).json;
    expect(summary).toMatchObject({
      counts: { online: 1, silent: 0, neverSeen: 0 },
      current: true,
    });
  });

  it('lets an operator set the interval, and stops alerting on a disabled device', async () => {
    await call('PUT', '/devices/e2e-2', {});
    await settle();
    const set = await call('PUT', '/devices/e2e-2/liveness', {
      intervalSeconds: 600,
      graceFactor: 1.5,
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      intervalSeconds: 600,
      graceFactor: 1.5,
      intervalSource: 'configured',
    });
    expect((await call('PUT', '/devices/e2e-2/liveness', { intervalSeconds: 0 })).status).toBe(400);
    expect((await call('PUT', '/devices/nobody/liveness', { intervalSeconds: 5 })).status).toBe(
      404,
    );

    await heartbeat('e2e-2');
    await settle();
    const disabled = await api('PUT', '/devices/e2e-2', {
      baseUrl: rt.url,
      body: { status: 'disabled' },
      headers: { 'if-match': '*' },
    });
    expect(disabled.status).toBe(200);
    await settle();
    expect((await call('GET', '/devices/e2e-2/liveness')).json).toMatchObject({
      enabled: false,
      deadline: null,
    });
    rt.clock.set('2026-01-02T00:00:00.000Z');
    await rt.runtime.services.liveness.sweep.sweep(rt.clock.now());
    expect((await call('GET', '/devices/e2e-2/liveness')).json.state).toBe('online');
    const alerts = (await call('GET', '/liveness/alerts')).json as { deviceId: string }[];
    expect(alerts.filter((a) => a.deviceId === 'e2e-2')).toEqual([]);
  });

  it('tracks modules separately and shows them on the registry module', async () => {
    await call('PUT', '/devices/e2e-4', {});
    await call('PUT', '/devices/e2e-4/modules/sensor', {});
    await heartbeat('e2e-4', {}, 'sensor');
    await settle();
    expect((await call('GET', '/devices/e2e-4/modules/sensor/liveness')).json).toMatchObject({
      moduleId: 'sensor',
      state: 'online',
    });
    expect((await call('GET', '/devices/e2e-4/modules/sensor')).json.connectionState).toBe(
      'Connected',
    );
    expect((await call('GET', '/devices/e2e-4/liveness')).json.state).toBe('neverSeen');
    await api('DELETE', '/devices/e2e-4', { baseUrl: rt.url, headers: { 'if-match': '*' } });
    await settle();
    expect((await call('GET', '/devices/e2e-4/modules/sensor/liveness')).status).toBe(404);
  });

  it('skips events it cannot read, without holding up their partition', async () => {
    await call('PUT', '/devices/e2e-5', {});
    await settle();
    await rt.send([
      // No device, a body that is not JSON, and a lifecycle event of no known kind.
      { partitionKey: 'e2e-5', data: { body: Buffer.from('not json{') } },
      {
        partitionKey: 'e2e-5',
        data: {
          body: 'not json either',
          properties: { opType: 'explodeDeviceIdentity', deviceId: 'e2e-5' },
        },
      },
    ]);
    await heartbeat('e2e-5');
    await settle();
    expect((await call('GET', '/devices/e2e-5/liveness')).json.state).toBe('online');
  });

  it('forgets a deleted device, and refuses bad queries', async () => {
    await call('PUT', '/devices/e2e-3', {});
    await settle();
    await api('DELETE', '/devices/e2e-3', { baseUrl: rt.url, headers: { 'if-match': '*' } });
    await settle();
    expect((await call('GET', '/devices/e2e-3/liveness')).status).toBe(404);
    expect((await call('GET', '/liveness?state=sleeping')).status).toBe(400);
    expect((await call('GET', '/liveness', undefined)).status).toBe(200);
    const forged = await api('GET', '/liveness', {
      baseUrl: rt.url,
      headers: { 'x-ms-continuation': 'garbage' },
    });
    expect(forged.status).toBe(400);
  });

  it('runs the sweep on an NCRONTAB schedule with seconds, as the host does', async () => {
    const fired: boolean[] = [];
    const timer = new LocalTimer(
      'probe',
      '*/1 * * * * *',
      (t) => (fired.push(t.isPastDue), Promise.resolve()),
      silentLogger,
    );
    timer.start();
    const deadline = Date.now() + 10_000;
    while (fired.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await timer.stop();
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(
      () => new LocalTimer('bad', '*/5 * * * *', () => Promise.resolve(), silentLogger),
    ).toThrow(/six fields/);
  });
});
