import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seq, t } from '../support/livenessEvents';
import { api } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const TOPIC =
  '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/rg/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/egtesthub1';
let ids = 0;

/** An event in the Event Grid schema, as IoT Hub publishes it (Microsoft's sample payloads). */
function gridEvent(type: string, deviceId: string, at: string, data: Record<string, unknown>) {
  return {
    id: `e${++ids}`,
    topic: TOPIC,
    subject: `devices/${deviceId}`,
    eventType: `Microsoft.Devices.${type}`,
    eventTime: at,
    data: { hubName: 'egtesthub1', deviceId, ...data },
    dataVersion: '',
    metadataVersion: '1',
  };
}
/** The same event in the CloudEvents 1.0 schema. */
function cloudEvent(type: string, deviceId: string, at: string, data: Record<string, unknown>) {
  return {
    id: `c${++ids}`,
    source: TOPIC,
    specversion: '1.0',
    type: `Microsoft.Devices.${type}`,
    subject: `devices/${deviceId}`,
    time: at,
    data: { hubName: 'egtesthub1', deviceId, ...data },
  };
}
const connection = (sequenceNumber: string) => ({
  deviceConnectionStateEventInfo: { sequenceNumber },
});
const telemetry = (deviceId: string, at: string) =>
  gridEvent('DeviceTelemetry', deviceId, at, {
    body: { Weather: { Temperature: 900 } },
    properties: { messageType: 'heartbeat' },
    systemProperties: {
      'iothub-content-type': 'application/json',
      'iothub-content-encoding': 'utf-8',
      'iothub-connection-device-id': deviceId,
      'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub"}',
      'iothub-enqueuedtime': at,
      'iothub-message-source': 'Telemetry',
    },
  });
const twin = (deviceId: string) => ({
  twin: { deviceId, etag: 'AAAAAAAAAAE=', status: 'enabled', version: 2, properties: {} },
});

/** IoT Hub's Event Grid events, delivered to the local host's webhook as Event Grid posts them. */
describe('the Event Grid webhook', () => {
  let rt: TestRuntime;
  const call = (method: string, path: string, body?: unknown) =>
    api(method, path, { baseUrl: rt.url, ...(body === undefined ? {} : { body }) });
  const post = async (
    body: unknown,
    {
      kind = 'Notification',
      contentType = 'application/json',
      key = rt.eventGridKey,
      raw = false,
    }: { kind?: string | null; contentType?: string; key?: string | null; raw?: boolean } = {},
  ) => {
    const res = await fetch(`${rt.eventGridUrl}${key === null ? '' : `&code=${key}`}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...(kind === null ? {} : { 'aeg-event-type': kind }),
      },
      body: raw ? (body as string) : JSON.stringify(body),
    });
    return {
      status: res.status,
      json: (await res.text().then((x) => (x ? JSON.parse(x) : null))) as unknown,
    };
  };
  const accepted = async (body: unknown, options?: Parameters<typeof post>[1]) =>
    expect((await post(body, options)).status).toBe(202);
  const liveness = async (deviceId: string) =>
    (await call('GET', `/devices/${deviceId}/liveness`)).json as Record<string, unknown>;
  const twinState = async (deviceId: string) =>
    (
      (
        await call('POST', '/devices/query', {
          query: `SELECT connectionState, connectionStateUpdatedTime FROM devices WHERE deviceId = '${deviceId}'`,
        })
      ).json as unknown[]
    )[0];
  const alertsOf = async (deviceId: string) =>
    (
      (await call('GET', `/liveness/alerts?deviceId=${deviceId}`)).json as Record<string, unknown>[]
    ).map((a) => `${String(a.kind)}@${String(a.at)}`);
  const sweepAt = (seconds: number) => {
    rt.clock.set(t(seconds));
    return rt.runtime.services.liveness.sweep.sweep(rt.clock.now());
  };

  beforeAll(async () => {
    rt = await startTestRuntime({ LIVENESS_DISCONNECT_GRACE_SECONDS: '30' });
  }, 120_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it('answers both handshakes and wants the system key, as the Functions runtime does', async () => {
    const validation = {
      id: 'v1',
      topic: TOPIC,
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: t(0),
      data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://x' },
      dataVersion: '2',
      metadataVersion: '1',
    };
    expect(await post([validation], { kind: 'SubscriptionValidation' })).toEqual({
      status: 200,
      json: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
    });
    const options = await fetch(rt.eventGridUrl, {
      method: 'OPTIONS',
      headers: {
        'webhook-request-origin': 'eventgrid.azure.net',
        'x-functions-key': rt.eventGridKey,
      },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    // Without the key, or with another: refused before anything is read.
    expect((await post([validation], { kind: 'SubscriptionValidation', key: null })).status).toBe(
      401,
    );
    expect((await post([validation], { kind: 'SubscriptionValidation', key: 'nope' })).status).toBe(
      401,
    );
    const other = await fetch(rt.eventGridUrl.replace(/functionName=\w+/, 'functionName=other'), {
      method: 'POST',
      headers: { 'x-functions-key': rt.eventGridKey, 'aeg-event-type': 'Notification' },
      body: '[]',
    });
    expect(other.status).toBe(404);
  });

  it('reads each documented shape, in both schemas, into the map, the twin and the alert log', async () => {
    await call('PUT', '/devices/eg-1', {});
    await rt.settled();
    // Event Grid schema, batched: a message, then the device connects.
    await accepted([
      telemetry('eg-1', t(10)),
      gridEvent('DeviceConnected', 'eg-1', t(20), connection(seq(1))),
    ]);
    expect(await liveness('eg-1')).toMatchObject({
      state: 'online',
      lastSeen: t(20),
      lastHeartbeat: t(10),
      connection: { state: 'connected', at: t(20), sequenceNumber: seq(1) },
    });
    expect(await twinState('eg-1')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(20),
    });
    // CloudEvents, one event per request as Event Grid sends them: it drops off.
    await accepted(cloudEvent('DeviceDisconnected', 'eg-1', t(40), connection(seq(2))), {
      kind: null,
      contentType: 'application/cloudevents+json; charset=utf-8',
    });
    expect(await liveness('eg-1')).toMatchObject({
      lastSeen: t(20),
      connection: { state: 'disconnected', at: t(40) },
      deadline: t(70),
    });
    expect(await twinState('eg-1')).toEqual({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: t(40),
    });
    expect(await sweepAt(71)).toMatchObject({ silenced: 1 });
    expect(await liveness('eg-1')).toMatchObject({ state: 'silent', silentReason: 'disconnected' });
    // A CloudEvents batch brings it back: one recovered alert.
    await accepted([cloudEvent('DeviceConnected', 'eg-1', t(100), connection(seq(3)))], {
      contentType: 'application/cloudevents-batch+json',
    });
    expect(await alertsOf('eg-1')).toEqual([`silent@${t(40)}`, `recovered@${t(100)}`]);
    expect(await twinState('eg-1')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(100),
    });

    // A hub's device this registry never held: created and deleted through Event Grid alone.
    await accepted([gridEvent('DeviceCreated', 'eg-hub-only', t(110), twin('eg-hub-only'))]);
    expect(await liveness('eg-hub-only')).toMatchObject({ state: 'neverSeen' });
    await accepted([cloudEvent('DeviceDeleted', 'eg-hub-only', t(120), twin('eg-hub-only'))]);
    expect((await call('GET', '/devices/eg-hub-only/liveness')).status).toBe(404);
  });

  it('takes the highest sequence number across repeated, out-of-order batches: one alert per transition', async () => {
    await call('PUT', '/devices/eg-2', {});
    await rt.settled();
    const connect1 = gridEvent('DeviceConnected', 'eg-2', t(150), connection(seq(10)));
    const drop2 = gridEvent('DeviceDisconnected', 'eg-2', t(200), connection(seq(11)));
    const connect3 = cloudEvent('DeviceConnected', 'eg-2', t(300), connection(seq(12)));
    // The disconnect first, everything twice (Event Grid retries a batch it thinks failed).
    await accepted([drop2, drop2]);
    await accepted([connect1, drop2]);
    await accepted([connect1]);
    expect(await liveness('eg-2')).toMatchObject({
      lastSeen: t(150),
      connection: { state: 'disconnected', at: t(200), sequenceNumber: seq(11) },
    });
    await sweepAt(231);
    await sweepAt(232);
    await accepted([connect3], { kind: null, contentType: 'application/cloudevents+json' });
    await accepted([drop2, connect1]);
    await accepted([connect3], { kind: null, contentType: 'application/cloudevents+json' });
    await sweepAt(320);
    expect(await liveness('eg-2')).toMatchObject({
      state: 'online',
      connection: { state: 'connected', at: t(300), sequenceNumber: seq(12) },
    });
    expect(await alertsOf('eg-2')).toEqual([`silent@${t(200)}`, `recovered@${t(300)}`]);
    expect(await twinState('eg-2')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(300),
    });
  });

  it('skips and counts events it cannot read, and refuses a malformed envelope with 400', async () => {
    const before = { ...rt.runtime.services.liveness.ingest.skips };
    const good = gridEvent('DeviceConnected', 'eg-3', t(400), connection(seq(20)));
    const { deviceId: _omitted, ...withoutDevice } = good.data;
    await accepted([
      { ...good, data: connection('not a hex number') },
      { ...good, data: 'not json{' },
      { ...good, subject: 'somewhere', data: withoutDevice },
      { ...good, eventType: 'Microsoft.Devices.DeviceRebooted' },
      { ...good, eventType: 'Microsoft.Storage.BlobCreated' },
      good,
    ]);
    expect((await liveness('eg-3')).state).toBe('online');
    const after = rt.runtime.services.liveness.ingest.skips;
    const delta = (reason: keyof typeof after) => (after[reason] ?? 0) - (before[reason] ?? 0);
    expect(
      (['badSequenceNumber', 'badBody', 'missingDeviceId', 'unknownEventType'] as const).map(delta),
    ).toEqual([1, 1, 1, 2]);

    // Envelopes: nothing of a refused delivery is taken in.
    const later = gridEvent('DeviceDisconnected', 'eg-3', t(500), connection(seq(21)));
    const refusals = await Promise.all([
      post('[{"not json', { raw: true }),
      post(42),
      post([later, 7]),
      post([later, { id: 'x', data: {} }]),
      post([later], { kind: null }),
      post([later], { kind: 'Rumour' }),
      post([later], { kind: 'SubscriptionValidation' }),
    ]);
    for (const r of refusals) {
      expect(r.status).toBe(400);
      expect(String((r.json as { Message?: string }).Message)).toMatch(/^ErrorCode:BadRequest;/);
    }
    expect(await liveness('eg-3')).toMatchObject({ connection: { state: 'connected' } });
  });
});
