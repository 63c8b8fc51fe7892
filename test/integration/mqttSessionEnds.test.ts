import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CosmosSessionStore } from '../../src/adapters/cosmos/CosmosSessionStore';
import { sign } from '../../src/domain/auth/signatureMatches';
import { forwardLines, waitForExit } from '../../standins/childProcesses';
import { compiledBuild } from '../support/compiledBuild';
import { api, uniqueId } from '../support/registryApi';
import { eventually } from '../support/sdkDeviceClient';
import { startMqttTestStack, type MqttTestStack } from '../support/mqttTestEndpoint';

let stack: MqttTestStack;
let build: Awaited<ReturnType<typeof compiledBuild>>;

beforeAll(async () => {
  [stack, build] = await Promise.all([startMqttTestStack(), compiledBuild()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await build?.remove();
});

function sasToken(deviceId: string, key: string): string {
  const sr = encodeURIComponent(`localhost/devices/${deviceId}`);
  const se = Math.floor(Date.now() / 1000) + 3600;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}`;
}

/** A raw MQTT client over TLS to `port`, connected as the device with the given keep-alive. */
async function connectDevice(port: number, deviceId: string, key: string, keepalive: number) {
  const socket = connect({ host: '127.0.0.1', port, ca: stack.cert, servername: 'localhost' });
  socket.on('error', () => undefined);
  const parser = mqttPacket.parser();
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d: Buffer) => parser.parse(d));
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: deviceId,
      keepalive,
      username: `localhost/${deviceId}/?api-version=2021-04-12`,
      password: Buffer.from(sasToken(deviceId, key)),
    }),
  );
  await eventually(
    () => Promise.resolve(packets[0]),
    (p) => p !== undefined,
  );
  expect(packets[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
  return socket;
}

/** A TCP relay that can go silent: both sockets stay open, nothing passes any more. */
async function silentableRelay(
  target: number,
): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((inbound) => {
    const outbound = tcpConnect(target, '127.0.0.1');
    inbound.on('error', () => undefined);
    outbound.on('error', () => undefined);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    pairs.push([inbound, outbound]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    silence: () => {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface MapConnection {
  state: string;
  at: string;
}
const mapConnection = async (deviceId: string) =>
  (
    (await api('GET', `/devices/${deviceId}/liveness`, { baseUrl: stack.rt.url })).json as
      { connection?: MapConnection | null } | undefined
  )?.connection ?? null;

describe('MQTT sessions end in the map however the device goes', () => {
  it('a client whose socket silently goes dead is disconnected within 1.5 × keep-alive', async () => {
    const deviceId = uniqueId('mqttsilent');
    const key = await stack.register(deviceId);
    const relay = await silentableRelay(stack.endpoint.port);
    try {
      const keepalive = 2;
      const socket = await connectDevice(relay.port, deviceId, key, keepalive);
      // The last the endpoint hears from the client: no PINGREQ gets through from here on.
      relay.silence();
      const silentFrom = Date.now();
      const ended = await eventually(
        () => mapConnection(deviceId),
        (c) => c !== null && /disconnected/i.test(c.state),
        15_000,
      );
      // The endpoint's disconnect time, as the event carries it into the map.
      const after = new Date(ended!.at).getTime() - silentFrom;
      expect(after).toBeLessThanOrEqual(1.5 * keepalive * 1000 + 500);
      socket.destroy();
    } finally {
      await relay.close();
    }
  });

  it('after a SIGKILL of the endpoint process, its restart shows the device disconnected before it listens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mqtt-kill-'));
    await writeFile(join(dir, 'cert.pem'), stack.cert);
    await writeFile(join(dir, 'key.pem'), stack.key);
    const env = {
      ...process.env,
      ...stack.rt.settings,
      HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      MQTT_METHODS_PORT: '0',
      MQTT_INSTANCE_ID: 'kill-test',
      MQTT_TLS_CERT_FILE: join(dir, 'cert.pem'),
      MQTT_TLS_KEY_FILE: join(dir, 'key.pem'),
      SHARED_ACCESS_POLICIES: JSON.stringify(inject('stack').policies),
    };
    const start = async () => {
      const child = spawn(process.execPath, [join(build.dir, 'src', 'mqtt', 'main.js')], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = waitForExit(child);
      const lines: string[] = [];
      const port = await new Promise<number>((resolve, reject) => {
        forwardLines(child.stdout, (line) => {
          lines.push(line);
          const m = /mqtts on (\d+)/.exec(line);
          if (m) resolve(Number(m[1]));
        });
        forwardLines(child.stderr, (line) => lines.push(line));
        void exited.then(() => reject(new Error(`The endpoint exited:\n${lines.join('\n')}`)));
      });
      return { child, exited, port };
    };
    const deviceId = uniqueId('mqttkill');
    const key = await stack.register(deviceId);
    const first = await start();
    const sessions = new CosmosSessionStore(stack.rt.runtime.identities);
    const socket = await connectDevice(first.port, deviceId, key, 30);
    expect((await sessions.readSession({ deviceId, moduleId: null }))?.session).toMatchObject({
      connected: true,
      owner: 'kill-test',
    });
    first.child.kill('SIGKILL');
    await first.exited;
    socket.destroy();
    // Nobody recorded the end: the store still shows the session open.
    expect((await sessions.readSession({ deviceId, moduleId: null }))?.session.connected).toBe(
      true,
    );
    const second = await start();
    try {
      // Closed before the restarted instance listened: the bound is its start-up time.
      expect((await sessions.readSession({ deviceId, moduleId: null }))?.session.connected).toBe(
        false,
      );
      await eventually(
        () => mapConnection(deviceId),
        (c) => c !== null && /disconnected/i.test(c.state),
        15_000,
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 90_000);
});
