import { Message } from 'azure-iot-device';
import { generate } from 'selfsigned';
import { describe, expect, it } from 'vitest';
import { certificateThumbprints } from '../../src/domain/auth/certificateThumbprints';
import { api, uniqueId } from '../support/registryApi';
import { eventually, sdkDeviceClient, sdkModuleClient } from '../support/sdkDeviceClient';

const heartbeat = () => {
  const message = new Message('');
  message.properties.add('messageType', 'heartbeat');
  message.properties.add('intervalSeconds', '30');
  return message;
};

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

async function register(deviceId: string, body: object = {}) {
  const reply = await api('PUT', `/devices/${encodeURIComponent(deviceId)}`, { body });
  expect(reply.status).toBe(200);
  return reply.json as {
    generationId: string;
    etag: string;
    authentication: { symmetricKey: { primaryKey: string; secondaryKey: string } };
  };
}

const livenessOf = async (path: string) =>
  (await api('GET', `${path}/liveness`)).json as
    { state?: string; intervalSeconds?: number } | undefined;

describe('the official azure-iot-device client with the HTTP transport', () => {
  it('sends a heartbeat (204) and the device is online in the map', async () => {
    const deviceId = uniqueId('sdkdev');
    const device = await register(deviceId);
    const client = await sdkDeviceClient(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${device.authentication.symmetricKey.primaryKey}`,
    );
    const result = await client.sendEvent(heartbeat());
    expect(result.constructor.name).toBe('MessageEnqueued');
    const entry = await eventually(
      () => livenessOf(`/devices/${deviceId}`),
      (e) => e?.state === 'online',
    );
    expect(entry).toMatchObject({ state: 'online', intervalSeconds: 30 });
    expect((await api('GET', `/devices/${deviceId}`)).json.connectionState).toBe('Connected');

    await client.sendEventBatch([heartbeat(), new Message('{"t":21}')]);
    await client.close();
  });

  it('sends from a module with a module connection string', async () => {
    const deviceId = uniqueId('sdkmod');
    await register(deviceId);
    const module = (await api('PUT', `/devices/${deviceId}/modules/sensor`, { body: {} })).json;
    const client = await sdkModuleClient(
      `HostName=localhost;DeviceId=${deviceId};ModuleId=sensor;SharedAccessKey=${module.authentication.symmetricKey.primaryKey}`,
    );
    await client.sendEvent(heartbeat());
    const entry = await eventually(
      () => livenessOf(`/devices/${deviceId}/modules/sensor`),
      (e) => e?.state === 'online',
    );
    expect(entry?.state).toBe('online');
    // The device's own entry comes from its lifecycle notification, relayed from the outbox.
    const device = await eventually(
      () => livenessOf(`/devices/${deviceId}`),
      (e) => e?.state !== undefined,
    );
    expect(device?.state).toBe('neverSeen');
    await client.close();
  });

  it('refuses a disabled device with the SDK UnauthorizedError', async () => {
    const deviceId = uniqueId('sdkoff');
    const device = await register(deviceId, { status: 'disabled' });
    const client = await sdkDeviceClient(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${device.authentication.symmetricKey.primaryKey}`,
    );
    expect(await errorName(client.sendEvent(heartbeat()))).toBe('UnauthorizedError');
    await client.close();
  });

  // azure-iot-sdk-node's e2e test "Gets an UnauthorizedError over Http if the Device ID is
  // improperly formed".
  it('answers an improperly formed device ID with the SDK UnauthorizedError', async () => {
    const client = await sdkDeviceClient(
      `HostName=localhost;DeviceId=${uniqueId('bad')}#+;SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`,
    );
    expect(await errorName(client.sendEvent(heartbeat()))).toBe('UnauthorizedError');
    await client.close();
  });

  it('stops accepting an old key as soon as the key is changed', async () => {
    const deviceId = uniqueId('sdkrot');
    const device = await register(deviceId);
    const oldKey = device.authentication.symmetricKey.primaryKey;
    const client = await sdkDeviceClient(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${oldKey}`,
    );
    await client.sendEvent(heartbeat());
    const rotated = await api('PUT', `/devices/${deviceId}`, {
      body: {
        authentication: {
          type: 'sas',
          symmetricKey: {
            primaryKey: Buffer.alloc(32, 7).toString('base64'),
            secondaryKey: device.authentication.symmetricKey.secondaryKey,
          },
        },
      },
      headers: { 'if-match': '*' },
    });
    expect(rotated.status).toBe(200);
    const started = Date.now();
    // Stated bound: at once in this (single-instance) stack; the test allows 5 s.
    const outcome = await eventually(
      () => errorName(client.sendEvent(heartbeat())),
      (name) => name === 'UnauthorizedError',
      5000,
    );
    expect(outcome).toBe('UnauthorizedError');
    expect(Date.now() - started).toBeLessThan(5000);
    await client.close();
    const renewed = await sdkDeviceClient(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`,
    );
    await renewed.sendEvent(heartbeat());
    await renewed.close();
  });

  it('authenticates a self-signed X.509 device by its TLS client certificate', async () => {
    const deviceId = uniqueId('sdkx509');
    const pems = await generate([{ name: 'commonName', value: deviceId }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const thumbprint = certificateThumbprints(pems.cert)!.sha1;
    await register(deviceId, {
      authentication: { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: thumbprint } },
    });
    const client = await sdkDeviceClient(`HostName=localhost;DeviceId=${deviceId};x509=true`, {
      cert: pems.cert,
      key: pems.private,
    });
    await client.sendEvent(heartbeat());
    expect(
      (
        await eventually(
          () => livenessOf(`/devices/${deviceId}`),
          (e) => e?.state === 'online',
        )
      )?.state,
    ).toBe('online');
    await client.close();

    const other = await generate([{ name: 'commonName', value: 'intruder' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const intruder = await sdkDeviceClient(`HostName=localhost;DeviceId=${deviceId};x509=true`, {
      cert: other.cert,
      key: other.private,
    });
    expect(await errorName(intruder.sendEvent(heartbeat()))).toBe('UnauthorizedError');
    await intruder.close();
  });
});
