import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/sdkDeviceClient';
import { api, uniqueId } from '../support/registryApi';
import {
  heartbeat,
  mqttDeviceClient,
  startMqttTestStack,
  type MqttTestStack,
} from '../support/mqttTestEndpoint';

let stack: MqttTestStack;
beforeAll(async () => {
  stack = await startMqttTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('the official azure-iot-device client with the MQTT transport', () => {
  it('connects with a SAS key, sends a heartbeat (PUBACK) that reaches the map, and reports its connection', async () => {
    const deviceId = uniqueId('mqtt');
    const key = await stack.register(deviceId);
    const client = await mqttDeviceClient(stack, deviceId, key);
    await client.open();
    const result = await client.sendEvent(heartbeat());
    expect(result.constructor.name).toBe('MessageEnqueued');
    const entry = await eventually(
      async () =>
        (await api('GET', `/devices/${deviceId}/liveness`, { baseUrl: stack.rt.url })).json as
          { state?: string; intervalSeconds?: number } | undefined,
      (e) => e?.state === 'online',
      10_000,
    );
    expect(entry).toMatchObject({ state: 'online', intervalSeconds: 30 });
    await client.close();
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 2,
      10_000,
    );
    expect(events.map((e) => e.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
    expect(events[0]!.properties).toMatchObject({
      hubName: 'localhost',
      deviceId,
      'iothub-message-schema': 'deviceConnectionStateNotification',
      'iothub-message-source': 'deviceConnectionStateEvents',
    });
    expect(events[0]!.sequenceNumber < events[1]!.sequenceNumber).toBe(true);
  });
});
