import { connect } from 'node:tls';
import { Client, X509AuthenticationProvider } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import * as mqttPacket from 'mqtt-packet';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprints } from '../../src/domain/auth/certificateThumbprints';
import { sign } from '../../src/domain/auth/signatureMatches';
import { parseSettings } from '../../src/config/Settings';
import { relayTrigger } from '../../local/relayTrigger';
import { silentLogger } from '../../src/ports/Logger';
import { eventually } from '../support/sdkDeviceClient';
import { api, uniqueId } from '../support/registryApi';
import {
  heartbeat,
  mqttDeviceClient,
  mqttWsDeviceClient,
  startMqttTestStack,
  type MqttTestStack,
} from '../support/mqttTestEndpoint';

let stack: MqttTestStack;

/** A device token as the SDK makes it (sr URL-encoded), valid for an hour. */
function sasToken(deviceId: string, key: string): string {
  const sr = encodeURIComponent(`localhost/devices/${deviceId}`);
  const se = Math.floor(Date.now() / 1000) + 3600;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}`;
}
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

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

/** A raw MQTT client over TLS: what the broker answers to bytes the SDK would never send. */
function raw(port: number, ca: string) {
  const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  const parser = mqttPacket.parser();
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d: Buffer) => parser.parse(d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    socket,
    packets,
    closed,
    send: (p: mqttPacket.Packet) => socket.write(mqttPacket.generate(p)),
  };
}

const connectPacket = (clientId: string, password: string): mqttPacket.Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId,
  keepalive: 30,
  username: `localhost/${clientId}/?api-version=2021-04-12`,
  password: Buffer.from(password),
});

describe('the MQTT endpoint: identities and sessions', () => {
  it('authenticates a self-signed X.509 device by its TLS client certificate', async () => {
    const deviceId = uniqueId('mqttx509');
    const pems = await generate([{ name: 'commonName', value: deviceId }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    await stack.register(deviceId, {
      authentication: {
        type: 'selfSigned',
        x509Thumbprint: { primaryThumbprint: certificateThumbprints(pems.cert)!.sha1 },
      },
    });
    const client = Client.fromAuthenticationProvider(
      new X509AuthenticationProvider({
        host: 'localhost',
        deviceId,
        gatewayHostName: `localhost:${stack.endpoint.port}`,
        x509: { cert: pems.cert, key: pems.private },
      }),
      Mqtt,
    );
    await client.setOptions({ ca: stack.cert });
    await client.open();
    await client.sendEvent(heartbeat());
    await client.close();
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 2,
      10_000,
    );
    expect(events.map((e) => e.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
  });

  it('serves MQTT over WebSockets at /$iothub/websocket', async () => {
    const deviceId = uniqueId('mqttws');
    const key = await stack.register(deviceId);
    const client = await mqttWsDeviceClient(stack, deviceId, key);
    await client.open();
    expect((await client.sendEvent(heartbeat())).constructor.name).toBe('MessageEnqueued');
    await client.close();
  });

  it('refuses a disabled device, and disconnects one disabled while connected within 5 s', async () => {
    const off = uniqueId('mqttoff');
    const offKey = await stack.register(off, { status: 'disabled' });
    const refused = await mqttDeviceClient(stack, off, offKey);
    expect(await errorName(refused.open())).toBe('UnauthorizedError');

    const deviceId = uniqueId('mqttdis');
    const key = await stack.register(deviceId);
    const client = await mqttDeviceClient(stack, deviceId, key);
    await client.open();
    const started = Date.now();
    await stack.rt.runtime.services.devices.put(deviceId, { status: 'disabled' }, { kind: 'any' });
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 2,
      5_000,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(events.map((e) => e.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
    await client.close().catch(() => undefined);
  });

  it('reports a dropped socket (no DISCONNECT) as disconnected', async () => {
    const deviceId = uniqueId('mqttdrop');
    const key = await stack.register(deviceId);
    const c = raw(stack.endpoint.port, stack.cert);
    c.send(connectPacket(deviceId, sasToken(deviceId, key)));
    await eventually(
      () => Promise.resolve(c.packets.length),
      (n) => n > 0,
    );
    expect(c.packets[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
    c.socket.destroy();
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 2,
      10_000,
    );
    expect(events.map((e) => e.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
  });

  it('hands a session over to a second endpoint instance, and the events stay in order', async () => {
    const second = await stack.another('test-b');
    const deviceId = uniqueId('mqtttake');
    const key = await stack.register(deviceId);
    const first = raw(stack.endpoint.port, stack.cert);
    first.send(connectPacket(deviceId, sasToken(deviceId, key)));
    await eventually(
      () => Promise.resolve(first.packets.length),
      (n) => n > 0,
    );
    const other = await mqttDeviceClient(stack, deviceId, key, { port: second.port });
    await other.open();
    const started = Date.now();
    // The first instance notices the record moved and drops its connection.
    await first.closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    await other.sendEvent(heartbeat());
    await other.close();
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 4,
      10_000,
    );
    expect(events.map((e) => e.opType)).toEqual([
      'deviceConnected',
      'deviceDisconnected',
      'deviceConnected',
      'deviceDisconnected',
    ]);
    const sequence = events.map((e) => e.sequenceNumber);
    expect([...sequence].sort()).toEqual(sequence);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(4);
  });

  it('closes, at start, the sessions a crashed instance of the same name left open', async () => {
    const deviceId = uniqueId('mqttorphan');
    const key = await stack.register(deviceId);
    const crashed = await stack.another('test-crash');
    const c = raw(crashed.port, stack.cert);
    c.send(connectPacket(deviceId, sasToken(deviceId, key)));
    await eventually(
      () => Promise.resolve(c.packets.length),
      (n) => n > 0,
    );
    // As after a SIGKILL: the instance is gone without recording anything.
    (crashed.sessions as unknown as { states: { disconnected: () => Promise<boolean> } }).states = {
      disconnected: () => Promise.resolve(false),
    };
    await crashed.sessions.stop(0);
    c.socket.destroy();
    await crashed.endpoint.close();
    const restarted = await stack.another('test-crash');
    expect(restarted.orphansClosed).toBe(1);
    const events = await eventually(
      () => stack.connectionEvents(deviceId),
      (e) => e.length >= 2,
      10_000,
    );
    expect(events.map((e) => e.opType)).toEqual(['deviceConnected', 'deviceDisconnected']);
  });
});

describe('the MQTT endpoint: bad input', () => {
  it('refuses another device topic, forbidden subscriptions and oversized payloads, and keeps serving', async () => {
    const deviceId = uniqueId('mqttbad');
    const key = await stack.register(deviceId);
    const token = sasToken(deviceId, key);
    const good = await mqttDeviceClient(stack, deviceId, key);
    await good.open();

    const sub = raw(stack.endpoint.port, stack.cert);
    sub.send({ ...connectPacket(`${deviceId}`, token), clientId: deviceId } as mqttPacket.Packet);
    await eventually(
      () => Promise.resolve(sub.packets.length),
      (n) => n > 0,
    );
    // The good client was taken over by the raw one (same id): reconnect it afterwards.
    sub.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: '#', qos: 1 },
        { topic: `devices/other/messages/devicebound/#`, qos: 1 },
        { topic: `devices/${deviceId}/messages/devicebound/#`, qos: 1 },
      ],
    });
    const suback = await eventually(
      () => Promise.resolve(sub.packets.find((p) => p.cmd === 'suback')),
      (p) => p !== undefined,
    );
    expect((suback as mqttPacket.ISubackPacket).granted).toEqual([128, 128, 1]);
    sub.send({
      cmd: 'publish',
      topic: 'devices/other/messages/events/',
      qos: 1,
      messageId: 2,
      payload: Buffer.from('x'),
    } as mqttPacket.Packet);
    await sub.closed;
    expect(sub.packets.some((p) => p.cmd === 'puback')).toBe(false);

    const big = raw(stack.endpoint.port, stack.cert);
    big.send(connectPacket(deviceId, token));
    await eventually(
      () => Promise.resolve(big.packets.length),
      (n) => n > 0,
    );
    big.send({
      cmd: 'publish',
      topic: `devices/${deviceId}/messages/events/`,
      qos: 1,
      messageId: 3,
      payload: Buffer.alloc(400 * 1024),
    } as mqttPacket.Packet);
    await big.closed;
    expect(big.packets.some((p) => p.cmd === 'puback')).toBe(false);

    const again = await mqttDeviceClient(stack, deviceId, key);
    await again.open();
    expect((await again.sendEvent(heartbeat())).constructor.name).toBe('MessageEnqueued');
    await again.close();
    await good.close().catch(() => undefined);
  });

  it('drops malformed packets and refuses 1,000 bad passwords cleanly while a good client is served', async () => {
    const deviceId = uniqueId('mqttgood');
    const key = await stack.register(deviceId);
    const good = await mqttDeviceClient(stack, deviceId, key);
    await good.open();

    const garbage = raw(stack.endpoint.port, stack.cert);
    garbage.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
    await garbage.closed;
    const junk = raw(stack.endpoint.port, stack.cert);
    junk.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await junk.closed;

    const victim = uniqueId('mqttvictim');
    const victimKey = await stack.register(victim);
    const codes: number[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const c = raw(stack.endpoint.port, stack.cert);
          c.send(connectPacket(victim, sasToken(victim, Buffer.alloc(32, i).toString('base64'))));
          await c.closed;
          return (c.packets[0] as mqttPacket.IConnackPacket | undefined)?.returnCode ?? -1;
        }),
      );
      codes.push(...batch);
      expect((await good.sendEvent(heartbeat())).constructor.name).toBe('MessageEnqueued');
    }
    expect(codes.length).toBe(1000);
    expect(new Set(codes)).toEqual(new Set([5]));
    // The victim's own key still works.
    const ok = await mqttDeviceClient(stack, victim, victimKey);
    await ok.open();
    await ok.close();
    await good.close();
  }, 120_000);
});

describe('the MQTT endpoint: connection state events go through the outbox', () => {
  it('keeps them while the relay is dead, and a new relay publishes each transition once, in order', async () => {
    const deviceId = uniqueId('mqttrelay');
    const key = await stack.register(deviceId);
    await stack.rt.settled();
    stack.rt.relay.abandon();
    for (let i = 0; i < 3; i++) {
      const c = raw(stack.endpoint.port, stack.cert);
      c.send(connectPacket(deviceId, sasToken(deviceId, key)));
      await eventually(
        () => Promise.resolve(c.packets.length),
        (n) => n > 0,
      );
      c.send({ cmd: 'disconnect' });
      await c.closed;
    }
    // Six transitions committed, none published yet.
    await eventually(
      () => stack.rt.pendingOutbox(),
      (n) => n >= 6,
    );
    expect(await stack.connectionEvents(deviceId)).toEqual([]);
    const relay = await relayTrigger(
      stack.rt.runtime,
      parseSettings(stack.rt.settings),
      silentLogger,
      20,
    );
    await relay.start();
    try {
      const events = await eventually(
        () => stack.connectionEvents(deviceId),
        (e) => e.length >= 6,
        10_000,
      );
      expect(events.map((e) => e.opType)).toEqual(
        Array.from({ length: 3 }, () => ['deviceConnected', 'deviceDisconnected']).flat(),
      );
      const sequence = events.map((e) => e.sequenceNumber);
      expect([...sequence].sort()).toEqual(sequence);
      expect(new Set(events.map((e) => e.messageId)).size).toBe(6);
    } finally {
      await relay.stop();
    }
  });
});
