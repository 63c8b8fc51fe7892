/**
 * bench:ingress — device messages through the device endpoint (64 concurrent devices, HTTP,
 * keep-alive) into the liveness map: through the Event Hubs stand-in over AMQP and the local
 * Event Hubs trigger (the product's path), next to the in-process channel the embedded stack
 * used before, and to messages published straight to that channel. Every path is measured to
 * a drained map, through the same liveness ingest.
 */
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import { sign } from '../src/domain/auth/signatureMatches';
import { routes } from '../src/http/routes';
import { close, listen } from '../src/local/listen';
import { LocalFunctionHost } from '../src/local/LocalFunctionHost';
import { eventHubTriggers } from '../src/local/eventHubTriggers';
import { startAzurite } from '../src/local/startAzurite';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { startBenchEventHubs } from './support/startBenchEventHubs';
import { silentLogger } from '../src/ports/Logger';
import { systemClock } from '../src/ports/Clock';
import { channelTransport, InProcessEventChannel } from './support/InProcessEventChannel';
import { benchPolicies } from './support/benchPolicies';
import { waitFor } from './support/waitFor';

const DEVICES = 64;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CACHE_SECONDS = 60;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface Path {
  runtime: RegistryRuntime;
  /** Holds the consumer: in Azure it runs apart from the endpoint; here they share a process. */
  hold(): Promise<void>;
  release(): Promise<void>;
  drained(): Promise<void>;
  close(): Promise<void>;
}

interface Run {
  sent: number;
  seconds: number;
  sentSeconds: number;
  drainSeconds: number;
  latencies: number[];
  errors: number;
  reads: number;
}

async function main(): Promise<void> {
  const hardStop = setTimeout(
    () => {
      console.error('bench:ingress: time limit reached');
      process.exit(2);
    },
    Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000,
  );
  const [cosmos, azurite, hubs] = await Promise.all([
    startCosmosStandIn(),
    startAzurite({ inMemory: true }),
    startBenchEventHubs(),
  ]);
  const policies = benchPolicies();
  const settingsFor = (name: string) =>
    parseSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_CONTAINER: `ids${name}`,
      LIVENESS_TABLE: `live${name}`,
      CATALOG_TABLE: `cat${name}`,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      EVENTHUB_CONNECTION: hubs.connectionString(),
      DEVICE_MESSAGES_PER_SECOND: '1000000',
      DEVICE_MESSAGE_BURST: '1000000',
      DEVICE_CREDENTIAL_CACHE_SECONDS: String(CACHE_SECONDS),
    });

  const amqp = async (): Promise<Path> => {
    const settings = settingsFor('amqp');
    const runtime = await createRegistryServices({ settings, policies, logger: silentLogger });
    let consumers: ReturnType<typeof eventHubTriggers> | undefined;
    const release = async () => {
      consumers = eventHubTriggers(runtime, settings, silentLogger, { maxWaitTimeInSeconds: 0.2 });
      await consumers.start();
    };
    await release();
    return {
      runtime,
      hold: async () => {
        await consumers?.stop();
        consumers = undefined;
      },
      release,
      drained: () => waitFor(() => consumers!.liveness.caughtUp(), 'the consumer to catch up'),
      close: async () => {
        await consumers?.stop();
        await runtime.close();
      },
    };
  };
  let channel: InProcessEventChannel | undefined;
  const inProcess = async (): Promise<Path> => {
    const runtime = await createRegistryServices({
      settings: settingsFor('channel'),
      policies,
      logger: silentLogger,
      eventTransport: (handler) => {
        channel = new InProcessEventChannel(handler, systemClock, silentLogger);
        return channelTransport(channel);
      },
    });
    const c = channel!;
    return {
      runtime,
      hold: () => Promise.resolve(c.pause()),
      release: () => Promise.resolve(c.resume()),
      drained: () => c.drained(),
      close: () => runtime.close(),
    };
  };

  const servers: ReturnType<typeof createServer>[] = [];
  const paths: Path[] = [];
  try {
    const results: [string, Run][] = [];
    for (const [label, make] of [
      ['device endpoint → Event Hubs stand-in (AMQP) → trigger', amqp],
      ['device endpoint → in-process channel (before)', inProcess],
    ] as const) {
      const path = await make();
      paths.push(path);
      const server = createServer(
        { keepAlive: true },
        new LocalFunctionHost(
          routes(() => Promise.resolve(path.runtime.services)),
          silentLogger,
        ).listener,
      );
      servers.push(server);
      const port = await listen(server, 0, '127.0.0.1', 'bench host');
      results.push([label, await endpointRun(path, port)]);
    }

    // Straight to the channel: no HTTP, no authentication, no broker.
    const c = channel!;
    const perDevice = Math.ceil(MESSAGES / DEVICES);
    c.pause();
    const started = performance.now();
    for (let d = 0; d < DEVICES; d++) {
      for (let k = 0; k < perDevice; k++) {
        c.send([
          {
            body: Buffer.from('{"t":21}'),
            properties: { messagetype: 'heartbeat' },
            systemProperties: {
              'iothub-connection-device-id': `bench-${d}`,
              'iothub-connection-auth-generation-id': '1',
              'iothub-message-source': 'Telemetry',
            },
            partitionKey: `bench-${d}`,
          },
        ]);
      }
    }
    const publishSeconds = (performance.now() - started) / 1000;
    c.resume();
    await c.drained();
    const directSeconds = (performance.now() - started) / 1000;
    const sent = perDevice * DEVICES;
    const directRate = sent / directSeconds;

    const [amqpRun, channelRun] = results.map(([, r]) => r) as [Run, Run];
    const rate = (r: Run) => r.sent / r.seconds;
    const counts = await paths[0]!.runtime.services.liveness.store.countByState();
    console.log(
      [
        `Machine: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), Node ${process.version}. Host, ingest, Cosmos stand-in, Azurite and the Event Hubs stand-in on this machine; plain HTTP with keep-alive (TLS left out).`,
        '',
        `### ${sent.toLocaleString('en')} heartbeats from ${DEVICES} concurrent devices`,
        '',
        '| path | messages/s (to drained map) | accepted/s | drain s | p50 ms | p99 ms | errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...results.map(([label, r]) => {
          const sorted = [...r.latencies].sort((a, b) => a - b);
          return `| ${label} | ${Math.round(rate(r))} | ${Math.round(r.sent / r.sentSeconds)} | ${r.drainSeconds.toFixed(2)} | ${pct(sorted, 50).toFixed(2)} | ${pct(sorted, 99).toFixed(2)} | ${r.errors} |`;
        }),
        `| straight to the in-process channel | ${Math.round(directRate)} | ${Math.round(sent / publishSeconds)} | ${(directSeconds - publishSeconds).toFixed(2)} | | | |`,
        '',
        `Ratio AMQP path / in-process channel path: ${(rate(amqpRun) / rate(channelRun)).toFixed(2)}.`,
        `Ratio AMQP path / straight to the channel: ${(rate(amqpRun) / directRate).toFixed(2)} (before: endpoint / channel ${(rate(channelRun) / directRate).toFixed(2)}).`,
        `Registry reads during the AMQP run: ${amqpRun.reads} (${((amqpRun.reads / sent) * 1000).toFixed(2)} per 1,000 messages); bound: at most one per device per ${CACHE_SECONDS} s cache period = ${DEVICES * Math.ceil(amqpRun.seconds / CACHE_SECONDS)} (${amqpRun.reads <= DEVICES * Math.ceil(amqpRun.seconds / CACHE_SECONDS) ? 'PASS' : 'MISS'}).`,
        `Map of the AMQP path after its run: ${counts.online} online, ${counts.neverSeen} never seen, ${counts.silent} silent.`,
      ].join('\n'),
    );
    if (amqpRun.errors + channelRun.errors > 0) process.exitCode = 1;
  } finally {
    for (const server of servers) await close(server);
    for (const path of paths) await path.close();
    await Promise.all([cosmos.stop(), azurite.stop(), hubs.stop()]);
    clearTimeout(hardStop);
  }
}

async function endpointRun(path: Path, port: number): Promise<Run> {
  const { runtime } = path;
  const devices = await Promise.all(
    Array.from({ length: DEVICES }, async (_, i) => {
      const d = await runtime.services.devices.create(`bench-${i}`, {});
      const sr = encodeURIComponent(`localhost/devices/${d.deviceId}`);
      const se = Math.floor(Date.now() / 1000) + 3600;
      return {
        id: d.deviceId,
        token: `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(d.authentication.symmetricKey.primaryKey!, sr, se))}&se=${se}`,
      };
    }),
  );
  const perDevice = Math.ceil(MESSAGES / DEVICES);
  // Warm-up: one message per device (fills the credential cache, as at any start).
  await Promise.all(devices.map((d) => post(port, d.id, d.token)));
  await path.drained();

  await path.hold();
  const readsBefore = runtime.credentials.stats.registryReads;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    devices.map(async (d) => {
      for (let k = 0; k < perDevice; k++) {
        const t = performance.now();
        const status = await post(port, d.id, d.token);
        latencies.push(performance.now() - t);
        if (status !== 204) errors++;
      }
    }),
  );
  const sentSeconds = (performance.now() - started) / 1000;
  const drainStart = performance.now();
  await path.release();
  await path.drained();
  return {
    sent: perDevice * DEVICES,
    seconds: (performance.now() - started) / 1000,
    sentSeconds,
    drainSeconds: (performance.now() - drainStart) / 1000,
    latencies,
    errors,
    reads: runtime.credentials.stats.registryReads - readsBefore,
  };
}

async function post(port: number, deviceId: string, token: string): Promise<number> {
  const res = await fetch(
    `http://localhost:${port}/devices/${deviceId}/messages/events?api-version=2021-04-12`,
    {
      method: 'POST',
      headers: {
        authorization: token,
        'iothub-app-messageType': 'heartbeat',
        'content-type': 'application/json',
      },
      body: '{"t":21}',
    },
  );
  await res.arrayBuffer();
  return res.status;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
