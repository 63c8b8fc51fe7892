import type { Twin } from 'azure-iot-device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/sdkDeviceClient';
import { api, uniqueId } from '../support/registryApi';
import {
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

/** The SDK adds `update` to `properties.reported` at run time (its typings show a plain map). */
type Reported = { update(patch: unknown, done: (error?: Error) => void): void };

const reportedUpdate = (twin: Twin, patch: Record<string, unknown>) =>
  new Promise<void>((resolve, reject) =>
    (twin.properties.reported as Reported).update(patch, (error) =>
      error ? reject(error) : resolve(),
    ),
  );

describe('twins over MQTT with azure-iot-device-mqtt', () => {
  it('gets the twin and stores reported properties, versioned, in the registry', async () => {
    const deviceId = uniqueId('mqtttwin');
    const sasKey = await stack.register(deviceId);
    await stack.rt.runtime.services.twins.update(
      deviceId,
      null,
      { desired: { interval: 30 } },
      'merge',
      { kind: 'any' },
    );
    const client = await mqttDeviceClient(stack, deviceId, sasKey);
    await client.open();
    try {
      const twin = await client.getTwin();
      expect(twin.properties.desired).toMatchObject({ interval: 30, $version: 2 });
      expect(twin.properties.reported).toMatchObject({ $version: 1 });

      await reportedUpdate(twin, { firmware: '1.2', telemetry: { on: true, rate: 5 } });
      await reportedUpdate(twin, { telemetry: { rate: null } });
      const stored = await stack.rt.runtime.services.twins.get(deviceId, null);
      expect(stored.properties.reported).toMatchObject({
        firmware: '1.2',
        telemetry: { on: true },
        $version: 3,
      });
      expect(stored.properties.reported.$metadata).toHaveProperty('firmware.$lastUpdated');
      // A fresh read from the device sees its own writes.
      const again = await client.getTwin();
      expect(again.properties.reported).toMatchObject({ firmware: '1.2', telemetry: { on: true } });
    } finally {
      await client.close();
    }
  });

  it('refuses a reported patch beyond IoT Hub limits with a 400 and keeps the twin', async () => {
    const deviceId = uniqueId('mqtttwinbad');
    const client = await mqttDeviceClient(stack, deviceId, await stack.register(deviceId));
    await client.open();
    try {
      const twin = await client.getTwin();
      await expect(reportedUpdate(twin, { 'bad key': 1 })).rejects.toThrow(/bad key/);
      await expect(reportedUpdate(twin, { big: 'x'.repeat(5000) })).rejects.toThrow(/4 KB/);
      const stored = await stack.rt.runtime.services.twins.get(deviceId, null);
      expect(stored.properties.reported.$version).toBe(1);
      // The session stays usable after refusals.
      await reportedUpdate(twin, { ok: true });
      await eventually(
        () => stack.rt.runtime.services.twins.get(deviceId, null),
        (t) => t.properties.reported.ok === true,
      );
    } finally {
      await client.close();
    }
  });

  it('pushes desired properties changed through the service API, to whichever instance holds the session', async () => {
    const second = await stack.another('test-desired');
    const deviceId = uniqueId('mqttdesired');
    const client = await mqttDeviceClient(stack, deviceId, await stack.register(deviceId), {
      port: second.port,
    });
    await client.open();
    try {
      const twin = await client.getTwin();
      const patches: Record<string, unknown>[] = [];
      twin.on('properties.desired', (delta: Record<string, unknown>) =>
        patches.push(structuredClone(delta)),
      );
      // The listener subscribes: the first event is the desired state the GET brought.
      await eventually(
        () => Promise.resolve(patches.length),
        (n) => n >= 1,
      );
      const patch = (desired: Record<string, unknown>) =>
        api('PATCH', `/twins/${deviceId}`, {
          baseUrl: stack.rt.url,
          body: { properties: { desired } },
        });
      // Retried until the subscription is in place: IoT Hub sends nothing before it.
      let rate = 0;
      await eventually(
        async () => {
          expect((await patch({ rate: ++rate, cfg: { mode: 'eco' } })).status).toBe(200);
          return patches.slice(1).find((p) => p.cfg !== undefined);
        },
        (p) => p !== undefined,
        15_000,
      );
      expect((await patch({ cfg: { mode: null }, extra: true })).status).toBe(200);
      const last = await eventually(
        () => Promise.resolve(patches.slice(1).find((p) => p.extra === true)),
        (p) => p !== undefined,
        10_000,
      );
      expect(last).toEqual({ cfg: { mode: null }, extra: true, $version: last!.$version });
      expect(typeof last!.$version).toBe('number');
      // The SDK merged every patch into its copy, which now equals the stored desired section.
      const stored = await stack.rt.runtime.services.twins.get(deviceId, null);
      expect(twin.properties.desired).toMatchObject({
        rate,
        extra: true,
        $version: stored.properties.desired.$version,
      });
      expect(twin.properties.desired.cfg).toEqual({});
      // Versions only rise, and none was delivered twice.
      const versions = patches.slice(1).map((p) => p.$version as number);
      expect([...new Set(versions)].sort((a, b) => a - b)).toEqual(versions);
    } finally {
      await client.close();
    }
  });
});
