/**
 * bench:ingress — device messages through the device endpoint (64 concurrent devices, HTTPS,
 * keep-alive) into the liveness map: through the Event Hubs stand-in over AMQP and the local
 * Event Hubs trigger (the product's path), next to the in-process channel the embedded stack
 * used before, and to messages published straight to that channel. Every path is measured to
 * a drained map, through the same liveness ingest. The floor: the same load generator and TLS
 * against a bare HTTPS server that answers 204. The load generator is a process of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import { sign } from '../src/domain/auth/signatureMatches';
import { routes } from '../src/http/routes';
import { close, listen } from '../local/listen';
import { LocalFunctionHost } from '../local/LocalFunctionHost';
import { eventHubTriggers } from '../local/eventHubTriggers';
import { startAzurite } from '../local/startAzurite';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { startBenchEventHubs } from './support/startBenchEventHubs';
import { silentLogger } from '../src/ports/Logger';
import { systemClock } from '../src/ports/Clock';
import { channelTransport, InProcessEventChannel } from './support/InProcessEventChannel';
import { benchPolicies } from './support/benchPolicies';
import { waitFor } from './support/waitFor';
import { loadOrCreateCertificate } from '../local/loadOrCreateCertificate';
import type { LoadJob, LoadResult } from './support/deviceLoad';
import { runChild, startChildServer } from './support/runChild';

const DEVICES = 64;
/** Issue 14's goal: the endpoint accepts at least this share of the bare server's messages/s. */
const FLOOR_TARGET = 0.7;
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
  const tlsDir = await mkdtemp(join(tmpdir(), 'bench-ingress-'));
  const tls = await loadOrCreateCertificate(tlsDir);
  const floorServer = await startChildServer('bareHttpsServer', { key: tls.key, cert: tls.cert });
  try {
    const results: [string, Run][] = [];
    for (const [label, make] of [
      ['device endpoint → Event Hubs stand-in (AMQP) → trigger', amqp],
      ['device endpoint → in-process channel (before)', inProcess],
    ] as const) {
      const path = await make();
      paths.push(path);
      const server = createServer(
        { key: tls.key, cert: tls.cert, keepAlive: true },
        new LocalFunctionHost(
          routes(() => Promise.resolve(path.runtime.services)),
          silentLogger,
        ).listener,
      );
      servers.push(server);
      const port = await listen(server, 0, '127.0.0.1', 'bench host');
      results.push([label, await endpointRun(path, port, tls.cert)]);
    }

    // The floor: the same load generator, devices and TLS against a bare server answering 204.
    const perDevice = Math.ceil(MESSAGES / DEVICES);
    const floorDevices = Array.from({ length: DEVICES }, (_, i) => ({
      id: `bench-${i}`,
      token: 'SharedAccessSignature sr=x&sig=y&se=1',
    }));
    const floorJob: LoadJob = {
      port: floorServer.port,
      ca: tls.cert,
      devices: floorDevices,
      perDevice,
    };
    await runChild<LoadResult>('deviceLoad', { ...floorJob, perDevice: 1 });
    const floor = await runChild<LoadResult>('deviceLoad', floorJob);

    // Straight to the channel: no HTTP, no authentication, no broker.
    const c = channel!;
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
    const floorSorted = [...floor.latencies].sort((a, b) => a - b);
    const floorRatio = amqpRun.sent / amqpRun.sentSeconds / (floor.sent / floor.seconds);
    const counts = await paths[0]!.runtime.services.liveness.store.countByState();
    console.log(
      [
        `Machine: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), Node ${process.version}. Host, ingest, Cosmos stand-in, Azurite and the Event Hubs stand-in on this machine; HTTPS with keep-alive; the load generator in a process of its own.`,
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
        `| floor: bare HTTPS server answering 204 | | ${Math.round(floor.sent / floor.seconds)} | | ${pct(floorSorted, 50).toFixed(2)} | ${pct(floorSorted, 99).toFixed(2)} | ${floor.errors} |`,
        '',
        `Endpoint (AMQP path) / bare HTTPS server, messages accepted per second: ${floorRatio.toFixed(2)} (goal ≥ ${FLOOR_TARGET}: ${floorRatio >= FLOOR_TARGET ? 'met' : 'missed'}).`,
        `Ratio AMQP path / in-process channel path: ${(rate(amqpRun) / rate(channelRun)).toFixed(2)}.`,
        `Ratio AMQP path / straight to the channel: ${(rate(amqpRun) / directRate).toFixed(2)} (before: endpoint / channel ${(rate(channelRun) / directRate).toFixed(2)}).`,
        `Registry reads during the AMQP run: ${amqpRun.reads} (${((amqpRun.reads / sent) * 1000).toFixed(2)} per 1,000 messages); bound: at most one per device per ${CACHE_SECONDS} s cache period = ${DEVICES * Math.ceil(amqpRun.seconds / CACHE_SECONDS)} (${amqpRun.reads <= DEVICES * Math.ceil(amqpRun.seconds / CACHE_SECONDS) ? 'PASS' : 'MISS'}).`,
        `Map of the AMQP path after its run: ${counts.online} online, ${counts.neverSeen} never seen, ${counts.silent} silent.`,
      ].join('\n'),
    );
    if (amqpRun.errors + channelRun.errors + floor.errors > 0) process.exitCode = 1;
  } finally {
    for (const server of servers) await close(server);
    await floorServer.stop();
    await rm(tlsDir, { recursive: true, force: true });
    for (const path of paths) await path.close();
    await Promise.all([cosmos.stop(), azurite.stop(), hubs.stop()]);
    clearTimeout(hardStop);
  }
}

async function endpointRun(path: Path, port: number, ca: string): Promise<Run> {
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
  const job: LoadJob = { port, ca, devices, perDevice };
  await runChild<LoadResult>('deviceLoad', { ...job, perDevice: 1 });
  await path.drained();

  await path.hold();
  const readsBefore = runtime.credentials.stats.registryReads;
  const started = performance.now();
  const load = await runChild<LoadResult>('deviceLoad', job);
  const { latencies, errors } = load;
  if (load.firstError) console.error(`endpoint: ${load.firstError}`);
  const sentSeconds = load.seconds;
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
