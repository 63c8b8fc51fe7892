/**
 * bench:ingress — device messages through the device endpoint (64 concurrent devices, HTTP,
 * keep-alive) into the embedded stack, next to the same messages published straight to the
 * in-process channel. Both paths include draining through the same liveness ingest.
 */
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryServices } from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import {
  BUILT_IN_POLICY_RIGHTS,
  type SharedAccessPolicy,
} from '../src/domain/auth/SharedAccessPolicy';
import { sign } from '../src/domain/auth/signatureMatches';
import { routes } from '../src/http/routes';
import { close, listen } from '../src/local/listen';
import { LocalFunctionHost } from '../src/local/LocalFunctionHost';
import { startAzurite } from '../src/local/startAzurite';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { silentLogger } from '../src/ports/Logger';

const DEVICES = 64;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CACHE_SECONDS = 60;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const hardStop = setTimeout(
    () => {
      console.error('bench:ingress: time limit reached');
      process.exit(2);
    },
    Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000,
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-ingress-'));
  const [cosmos, azurite] = await Promise.all([
    startCosmosStandIn(),
    startAzurite({ inMemory: true }),
  ]);
  const policies = new Map<string, SharedAccessPolicy>(
    Object.entries(BUILT_IN_POLICY_RIGHTS).map(([keyName, rights]) => [
      keyName,
      {
        keyName,
        rights,
        primaryKey: randomBytes(32).toString('base64'),
        secondaryKey: randomBytes(32).toString('base64'),
      },
    ]),
  );
  const runtime = await createRegistryServices({
    settings: parseSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      DATA_DIR: dataDir,
      DEVICE_MESSAGES_PER_SECOND: '1000000',
      DEVICE_MESSAGE_BURST: '1000000',
      DEVICE_CREDENTIAL_CACHE_SECONDS: String(CACHE_SECONDS),
    }),
    policies,
    logger: silentLogger,
  });
  const server = createServer(
    { keepAlive: true },
    new LocalFunctionHost(
      routes(() => Promise.resolve(runtime.services)),
      silentLogger,
    ).listener,
  );
  const port = await listen(server, 0, '127.0.0.1', 'bench host');
  const channel = runtime.channel!;
  try {
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
    await channel.drained();
    const perDevice = Math.ceil(MESSAGES / DEVICES);

    // Warm-up: one message per device (fills the credential cache, as at any start).
    await Promise.all(devices.map((d) => post(port, d.id, d.token)));
    await channel.drained();

    // In Azure the Event Hubs consumer runs apart from the HTTP endpoint; here both share one
    // process, so hold the consumer while messages arrive and drain after, for both paths alike.
    channel.pause();
    const readsBefore = runtime.credentials.stats.registryReads;
    const latencies: number[] = [];
    let errors = 0;
    let started = performance.now();
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
    channel.resume();
    await channel.drained();
    const endpointDrainSeconds = (performance.now() - drainStart) / 1000;
    const endpointSeconds = (performance.now() - started) / 1000;
    const reads = runtime.credentials.stats.registryReads - readsBefore;
    const sent = perDevice * DEVICES;

    channel.pause();
    started = performance.now();
    await Promise.all(
      devices.map(async (d) => {
        for (let k = 0; k < perDevice; k++) {
          channel.send([
            {
              body: Buffer.from('{"t":21}'),
              properties: { messagetype: 'heartbeat' },
              systemProperties: {
                'iothub-connection-device-id': d.id,
                'iothub-connection-auth-generation-id': '1',
                'iothub-message-source': 'Telemetry',
              },
              partitionKey: d.id,
            },
          ]);
          if (k % 50 === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const publishSeconds = (performance.now() - started) / 1000;
    channel.resume();
    await channel.drained();
    const baselineSeconds = (performance.now() - started) / 1000;
    const counts = await runtime.services.liveness.store.countByState();

    latencies.sort((a, b) => a - b);
    const endpointRate = sent / endpointSeconds;
    const baselineRate = sent / baselineSeconds;
    const ratio = endpointRate / baselineRate;
    console.log(
      [
        `Machine: ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), Node ${process.version}. Host, ingest, Cosmos stand-in and Azurite on this machine; plain HTTP with keep-alive (TLS left out).`,
        '',
        `### ${sent.toLocaleString('en')} heartbeats from ${DEVICES} concurrent devices`,
        '',
        '| path | messages/s (to drained map) | accepted/s | p50 ms | p99 ms | errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        `| device endpoint | ${Math.round(endpointRate)} | ${Math.round(sent / sentSeconds)} | ${pct(latencies, 50).toFixed(2)} | ${pct(latencies, 99).toFixed(2)} | ${errors} |`,
        `| straight to the channel | ${Math.round(baselineRate)} | ${Math.round(sent / publishSeconds)} | | | |`,
        '',
        `Draining through the liveness ingest took ${endpointDrainSeconds.toFixed(2)} s after the endpoint run and ${(baselineSeconds - publishSeconds).toFixed(2)} s after the direct run.`,
        '',
        `Ratio endpoint / channel: ${ratio.toFixed(2)} (target ≥ 0.5: ${ratio >= 0.5 ? 'PASS' : 'MISS'}).`,
        `Registry reads during the run: ${reads} (${((reads / sent) * 1000).toFixed(2)} per 1,000 messages); bound: at most one per device per ${CACHE_SECONDS} s cache period = ${DEVICES * Math.ceil(endpointSeconds / CACHE_SECONDS)} (${reads <= DEVICES * Math.ceil(endpointSeconds / CACHE_SECONDS) ? 'PASS' : 'MISS'}).`,
        `Map after both runs: ${counts.online} online, ${counts.neverSeen} never seen, ${counts.silent} silent.`,
      ].join('\n'),
    );
  } finally {
    await close(server);
    await runtime.close();
    await Promise.all([cosmos.stop(), azurite.stop()]);
    await rm(dataDir, { recursive: true, force: true });
    clearTimeout(hardStop);
  }
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
