import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprints } from '../../src/domain/auth/certificateThumbprints';
import { sign } from '../../src/domain/auth/signatureMatches';
import { api, errorCode, policy } from '../support/registryApi';
import { rawHttp } from '../support/rawHttp';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

/** A device token as the device SDK makes it: sr URL-encoded, no skn. */
function deviceToken(
  resource: string,
  key: string,
  { expiresIn = 3600, skn }: { expiresIn?: number; skn?: string } = {},
): string {
  const sr = encodeURIComponent(resource);
  const se = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000) + expiresIn;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}${skn ? `&skn=${skn}` : ''}`;
}

describe('device-facing endpoint', () => {
  let rt: TestRuntime;
  let key: string;
  let moduleKey: string;
  const send = (
    path: string,
    auth: string | null,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) =>
    api('POST', path, {
      baseUrl: rt.url,
      auth,
      body: init.body ?? 'hello',
      headers: { 'iothub-app-messageType': 'heartbeat', ...(init.headers ?? {}) },
    });
  const stateOf = async (path: string) => {
    await rt.settled();
    return (await api('GET', `${path}/liveness`, { baseUrl: rt.url })).json?.state as
      string | undefined;
  };

  beforeAll(async () => {
    rt = await startTestRuntime({ DEVICE_MESSAGES_PER_SECOND: '1', DEVICE_MESSAGE_BURST: '3' });
    key = (await api('PUT', '/devices/dev-a', { baseUrl: rt.url, body: {} })).json.authentication
      .symmetricKey.primaryKey;
    await api('PUT', '/devices/dev-b', { baseUrl: rt.url, body: {} });
    moduleKey = (await api('PUT', '/devices/dev-a/modules/m1', { baseUrl: rt.url, body: {} })).json
      .authentication.symmetricKey.primaryKey;
  });
  afterAll(() => rt.stop());

  it('refuses forged, expired, wrong-device and wrong-scope tokens with 401 and publishes nothing', async () => {
    const forged = deviceToken('localhost/devices/dev-a', randomBytes(32).toString('base64'));
    const expired = deviceToken('localhost/devices/dev-a', key, { expiresIn: -10 });
    const wrongDevice = deviceToken('localhost/devices/dev-b', key);
    const wrongHost = deviceToken('elsewhere/devices/dev-a', key);
    const deviceOnModule = deviceToken('localhost/devices/dev-a', key);
    const serviceToken = deviceToken('localhost', policy('iothubowner').primaryKey, {
      skn: 'iothubowner',
    });
    const noRight = deviceToken('localhost/devices/dev-a', policy('registryRead').primaryKey, {
      skn: 'registryRead',
    });
    const cases: [string, string, string | null][] = [
      ['forged', '/devices/dev-a/messages/events', forged],
      ['expired', '/devices/dev-a/messages/events', expired],
      ['wrong device', '/devices/dev-a/messages/events', wrongDevice],
      ['wrong host', '/devices/dev-a/messages/events', wrongHost],
      [
        'device token on a module path',
        '/devices/dev-a/modules/m1/messages/events',
        deviceOnModule,
      ],
      ['service-scoped token', '/devices/dev-a/messages/events', serviceToken],
      ['policy without DeviceConnect', '/devices/dev-a/messages/events', noRight],
      ['no token', '/devices/dev-a/messages/events', null],
      [
        'unknown device',
        '/devices/ghost/messages/events',
        deviceToken('localhost/devices/ghost', key),
      ],
      // An ID that cannot exist is an authentication failure here, as on IoT Hub.
      [
        'a device ID that cannot exist',
        `/devices/${encodeURIComponent('dev#+a')}/messages/events`,
        deviceToken('localhost/devices/dev#+a', key),
      ],
      [
        'a module ID that cannot exist',
        `/devices/dev-a/modules/${encodeURIComponent('m/1'.repeat(50))}/messages/events`,
        deviceToken('localhost/devices/dev-a', key),
      ],
    ];
    for (const [name, path, auth] of cases) {
      const reply = await send(path, auth);
      expect(reply.status, name).toBe(401);
      expect(errorCode(reply), name).toBe('IotHubUnauthorizedAccess');
      expect(reply.text, name).not.toContain(key);
    }
    // A token for another hub sharing the device key, replayed with that hub's Host header.
    for (const host of ['other.example', 'other.example:443']) {
      const replay = await rawHttp(rt.url, {
        method: 'POST',
        target: '/devices/dev-a/messages/events?api-version=2021-04-12',
        headers: {
          host,
          authorization: deviceToken('other.example/devices/dev-a', key),
          'iothub-app-messageType': 'heartbeat',
        },
        body: 'hello',
      });
      expect(replay.status, host).toBe(401);
      expect(replay.body).toContain('another host');
    }
    expect(await stateOf('/devices/dev-a')).toBe('neverSeen');
    expect(await stateOf('/devices/dev-a/modules/m1')).toBe('neverSeen');
  });

  it('answers a device polling for cloud-to-device messages with 204 (none), and only the device', async () => {
    const poll = (auth: string | null) =>
      api('GET', '/devices/dev-a/messages/deviceBound', { baseUrl: rt.url, auth });
    const empty = await poll(deviceToken('localhost/devices/dev-a', key));
    expect(empty.status, empty.text).toBe(204);
    expect(empty.text).toBe('');
    expect((await poll(deviceToken('localhost/devices/dev-b', key))).status).toBe(401);
    expect((await poll(null)).status).toBe(401);
  });

  it('accepts the device key, a module key on the device path, and a DeviceConnect policy', async () => {
    expect(
      (
        await send(
          '/devices/dev-b/messages/events',
          deviceToken('localhost/devices/dev-b', policy('device').primaryKey, { skn: 'device' }),
        )
      ).status,
    ).toBe(204);
    expect(await stateOf('/devices/dev-b')).toBe('online');
    expect(
      (
        await send(
          '/devices/dev-a/messages/events',
          deviceToken('localhost/devices/dev-a/modules/m1', moduleKey),
        )
      ).status,
    ).toBe(204);
    expect(await stateOf('/devices/dev-a/modules/m1')).toBe('online');
    expect(await stateOf('/devices/dev-a')).toBe('neverSeen');
  });

  it('lets no application property pose as a lifecycle event, another device or the hub time', async () => {
    await api('PUT', '/devices/dev-c', { baseUrl: rt.url, body: {} });
    expect(await stateOf('/devices/dev-c')).toBe('neverSeen');
    const forging = await send(
      '/devices/dev-a/messages/events',
      deviceToken('localhost/devices/dev-a', key),
      {
        headers: {
          'iothub-app-opType': 'deleteDeviceIdentity',
          'iothub-app-deviceId': 'dev-c',
          'iothub-app-iothub-message-source': 'deviceLifecycleEvents',
          'iothub-app-iothub-connection-device-id': 'dev-c',
          'iothub-app-iothub-enqueuedtime': '2030-01-01T00:00:00.000Z',
        },
      },
    );
    expect(forging.status).toBe(204);
    await rt.settled();
    // It counted as dev-a's own activity, at the hub's time; dev-c is untouched.
    const a = (await api('GET', '/devices/dev-a/liveness', { baseUrl: rt.url })).json;
    expect(a).toMatchObject({ state: 'online', lastSeen: rt.clock.now().toISOString() });
    const c = await api('GET', '/devices/dev-c/liveness', { baseUrl: rt.url });
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ state: 'neverSeen', lastSeen: null, enabled: true });
  });

  it('caps messages at 256 KB, checks batches, and throttles with Retry-After', async () => {
    await api('PUT', '/devices/dev-c', { baseUrl: rt.url, body: {} });
    const token = deviceToken(
      'localhost/devices/dev-c',
      (await api('GET', '/devices/dev-c', { baseUrl: rt.url })).json.authentication.symmetricKey
        .primaryKey,
    );
    const big = await send('/devices/dev-c/messages/events', token, {
      body: 'x'.repeat(256 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    const badBatch = await send('/devices/dev-c/messages/events', token, {
      body: '[{"nobody":1}]',
      headers: { 'content-type': 'application/vnd.microsoft.iothub.json' },
    });
    expect(badBatch.status).toBe(400);
    const batch = JSON.stringify([
      {
        body: Buffer.from('a').toString('base64'),
        properties: { 'iothub-app-messageType': 'heartbeat' },
      },
    ]);
    expect(
      (
        await send('/devices/dev-c/messages/events', token, {
          body: batch,
          headers: { 'content-type': 'application/vnd.microsoft.iothub.json' },
        })
      ).status,
    ).toBe(204);
    // Burst 3, then 1 per second on the controlled clock.
    expect((await send('/devices/dev-c/messages/events', token)).status).toBe(204);
    expect((await send('/devices/dev-c/messages/events', token)).status).toBe(204);
    const throttled = await send('/devices/dev-c/messages/events', token);
    expect(throttled.status).toBe(429);
    expect(errorCode(throttled)).toBe('ThrottlingException');
    expect(throttled.headers.get('retry-after')).toBe('1');
    rt.clock.set(new Date(rt.clock.now().getTime() + 1000).toISOString());
    expect((await send('/devices/dev-c/messages/events', token)).status).toBe(204);
  });

  it('takes a client certificate forwarded as X-ARR-ClientCert only from the platform, never from the client', async () => {
    const pems = await generate([{ name: 'commonName', value: 'dev-x' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    rt.clock.set(new Date().toISOString()); // inside the certificate's validity
    await api('PUT', '/devices/dev-x', {
      baseUrl: rt.url,
      body: {
        authentication: {
          type: 'selfSigned',
          x509Thumbprint: { primaryThumbprint: certificateThumbprints(pems.cert)!.sha256 },
        },
      },
    });
    const der = Buffer.from(pems.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString(
      'base64',
    );
    // Over plain HTTP the local host strips a client-sent header: App Service would too.
    const spoofed = await send('/devices/dev-x/messages/events', null, {
      headers: { 'x-arr-clientcert': der },
    });
    expect(spoofed.status).toBe(401);
    // The handler itself accepts the forwarded certificate (as it arrives in Azure).
    const { HttpRequest, InvocationContext } = await import('@azure/functions');
    const { deviceEvents } = await import('../../src/http/handlers/deviceEventsHandler');
    const { httpEndpoint } = await import('../../src/http/httpEndpoint');
    const handler = httpEndpoint(
      'device',
      () => Promise.resolve(rt.runtime.services),
      deviceEvents,
    );
    const reply = await handler(
      new HttpRequest({
        method: 'POST',
        url: 'https://localhost/devices/dev-x/messages/events?api-version=2021-04-12',
        headers: { 'x-arr-clientcert': der, 'iothub-app-messageType': 'heartbeat' },
        params: { deviceId: 'dev-x' },
        body: { string: 'hi' },
      }),
      new InvocationContext(),
    );
    expect(reply.status).toBe(204);
    expect(await stateOf('/devices/dev-x')).toBe('online');
  });
});
