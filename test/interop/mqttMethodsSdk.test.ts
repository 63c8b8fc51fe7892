import { Agent } from 'node:https';
import { connect } from 'node:net';
import { Client as ServiceClient } from 'azure-iothub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/sdkDeviceClient';
import { api, serviceToken, uniqueId } from '../support/registryApi';
import {
  mqttDeviceClient,
  startMqttTestStack,
  type MqttTestStack,
} from '../support/mqttTestEndpoint';
import { inject } from 'vitest';

let stack: MqttTestStack;
let service: ServiceClient;

/**
 * azure-iothub's service Client, unchanged, reaching the test runtime's plain-HTTP host: it
 * always dials https on 443, so its agent hands it a TCP socket to the host's port instead.
 */
function serviceClient(url: string): ServiceClient {
  const port = Number(new URL(url).port);
  const agent = new Agent({ keepAlive: false });
  (agent as unknown as { createConnection: () => unknown }).createConnection = () =>
    connect({ host: '127.0.0.1', port });
  const client = ServiceClient.fromConnectionString(inject('stack').serviceConnectionString);
  (
    client as unknown as { _restApiClient: { setOptions(o: object): void } }
  )._restApiClient.setOptions({ http: { agent } });
  return client;
}

beforeAll(async () => {
  stack = await startMqttTestStack();
  service = serviceClient(stack.rt.url);
});
afterAll(async () => {
  await stack?.stop();
});

describe('direct methods over MQTT', () => {
  it('delivers a method invoked through azure-iothub to the device, on another instance, and returns its answer', async () => {
    const second = await stack.another('test-methods');
    const deviceId = uniqueId('mqttmethod');
    const device = await mqttDeviceClient(stack, deviceId, await stack.register(deviceId), {
      port: second.port,
    });
    await device.open();
    const seen: unknown[] = [];
    device.onDeviceMethod('reboot', (request, response) => {
      seen.push(request.payload);
      void response.send(201, {
        rebooted: true,
        delay: (request.payload as { delay: number }).delay,
      });
    });
    try {
      // connectTimeoutInSeconds covers the moment until the device's subscription is in place.
      const { result } = await service.invokeDeviceMethod(deviceId, {
        methodName: 'reboot',
        payload: { delay: 3 },
        responseTimeoutInSeconds: 10,
        connectTimeoutInSeconds: 10,
      });
      expect(result).toEqual({ status: 201, payload: { rebooted: true, delay: 3 } });
      expect(seen).toEqual([{ delay: 3 }]);
      // The same through the REST API, with the SDK's defaults.
      const reply = await api('POST', `/twins/${deviceId}/methods`, {
        baseUrl: stack.rt.url,
        body: { methodName: 'reboot', payload: { delay: 1 } },
      });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ status: 201, payload: { rebooted: true, delay: 1 } });
    } finally {
      await device.close();
    }
  });

  it("answers IoT Hub's errors: not online 404 DeviceNotOnline, no answer 504, unknown device 404, bad input 400", async () => {
    const deviceId = uniqueId('mqttmethoderr');
    const key = await stack.register(deviceId);
    const offline = await api('POST', `/twins/${deviceId}/methods`, {
      baseUrl: stack.rt.url,
      body: { methodName: 'ping', responseTimeoutInSeconds: 5 },
    });
    expect(offline.status).toBe(404);
    expect(offline.headers.get('iothub-errorcode')).toBe('DeviceNotOnline');
    const sdkError = await service
      .invokeDeviceMethod(deviceId, { methodName: 'ping', responseTimeoutInSeconds: 5 })
      .then(
        () => null,
        (e: Error & { response?: { statusCode: number } }) => e.response?.statusCode,
      );
    expect(sdkError).toBe(404);

    const unknown = await api('POST', `/twins/nobody-${deviceId}/methods`, {
      baseUrl: stack.rt.url,
      body: { methodName: 'ping' },
    });
    expect(unknown.headers.get('iothub-errorcode')).toBe('DeviceNotFound');
    const noModule = await api('POST', `/twins/${deviceId}/modules/m1/methods`, {
      baseUrl: stack.rt.url,
      body: { methodName: 'ping' },
    });
    expect(noModule.headers.get('iothub-errorcode')).toBe('ModuleNotFound');
    for (const body of [
      {},
      { methodName: 'a/b' },
      { methodName: 'ping', responseTimeoutInSeconds: 1 },
      { methodName: 'ping', responseTimeoutInSeconds: 301 },
      { methodName: 'ping', connectTimeoutInSeconds: -1 },
      { methodName: 'ping', payload: 'x'.repeat(130 * 1024) },
    ]) {
      const bad = await api('POST', `/twins/${deviceId}/methods`, { baseUrl: stack.rt.url, body });
      expect(bad.status, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
    }

    // Connected and subscribed, but it never answers: 504 after responseTimeoutInSeconds.
    const device = await mqttDeviceClient(stack, deviceId, key);
    await device.open();
    device.onDeviceMethod('ping', () => undefined);
    try {
      const started = Date.now();
      const late = await api('POST', `/twins/${deviceId}/methods`, {
        baseUrl: stack.rt.url,
        body: { methodName: 'ping', responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 },
      });
      expect(late.status).toBe(504);
      expect(late.headers.get('iothub-errorcode')).toBe('GatewayTimeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    } finally {
      await device.close();
    }
  });

  it("refuses relayed calls to the endpoint's methods listener that are not signed for the device", async () => {
    const deviceId = uniqueId('mqttmethodforge');
    const device = await mqttDeviceClient(stack, deviceId, await stack.register(deviceId));
    await device.open();
    const calls: unknown[] = [];
    device.onDeviceMethod('open', (request, response) => {
      calls.push(request.payload);
      void response.send(200, null);
    });
    try {
      const body = JSON.stringify({
        deviceId,
        moduleId: null,
        methodName: 'open',
        payload: 1,
        responseTimeoutSeconds: 5,
      });
      const post = (authorization?: string) =>
        fetch(new URL('/methods', stack.endpoint.methodsUrl), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body,
        });
      // No token, a token for the hub as a whole signed by a policy without ServiceConnect,
      // and one for another device's methods.
      expect((await post()).status).toBe(401);
      expect((await post(serviceToken('registryReadWrite'))).status).toBe(401);
      expect(
        (
          await post(
            serviceToken('service', {
              sr: encodeURIComponent(`localhost/mqtt-methods/devices/other`),
            }),
          )
        ).status,
      ).toBe(401);
      // The service itself still reaches it.
      await eventually(
        async () =>
          (
            await api('POST', `/twins/${deviceId}/methods`, {
              baseUrl: stack.rt.url,
              body: { methodName: 'open', payload: 2, connectTimeoutInSeconds: 5 },
            })
          ).status,
        (s) => s === 200,
      );
      expect(calls).toEqual([2]);
    } finally {
      await device.close();
    }
  });
});
