/**
 * bench:jobs — an export and an import of BENCH_DEVICES devices through the job worker, each next
 * to the plain path over the same stores in the same run: for export, a plain read of every
 * document with @azure/cosmos plus a plain upload of the same bytes with @azure/storage-blob; for
 * import, a plain download of the file plus plain creates of the same documents.
 *
 * The import also runs with lifecycle events on, as the embedded stack runs it (the relay
 * publishing to the Event Hubs stand-in, the triggers consuming over AMQP).
 *
 * The stand-ins and the seeding live in this process; every measured path runs in a fresh child
 * process of its own, so its peak RSS is that path's alone. Prints markdown; exits by itself.
 *
 * Environment (all optional): BENCH_DEVICES (default 100000), BENCH_PAGE_SIZE (export page,
 * default 2000), BENCH_HEAP_MB (each path's V8 old-generation budget, default 192),
 * BENCH_CHILD_NODE_OPTIONS (more node flags for the measured processes, e.g. --trace-gc),
 * BENCH_MEMORY_DETAIL=1 (print heap and external memory at each path's peak on stderr).
 */
import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../src/composition/createRegistryServices';
import { parseSettings } from '../src/config/Settings';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';
import { isTerminal, type JobRequest } from '../src/domain/jobs/RegistryJob';
import { startAzurite } from '../local/startAzurite';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { silentLogger } from '../src/ports/Logger';
import { eventHubTriggers } from '../local/eventHubTriggers';
import { relayTrigger } from '../local/relayTrigger';
import { startBenchEventHubs } from './support/startBenchEventHubs';
import { waitFor } from './support/waitFor';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const MODULE_EVERY = 10; // every 10th device has one module
const PAGE = Number(process.env.BENCH_PAGE_SIZE ?? 2000);
const CONCURRENCY = 16;
/**
 * V8's old-generation budget for every measured path. Unbounded, V8 lets the heap grow to about
 * four times what is live before a full collection, so peak RSS says more about V8's budget
 * than about the path; every path gets the same budget, as a memory-limited instance would.
 */
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 192);
const DATABASE = 'registry';

type Phase = 'export' | 'plain-export' | 'import' | 'import-with-events' | 'plain-import';
interface Env {
  cosmosEndpoint: string;
  cosmosKey: string;
  eventHubs: string;
  storage: string;
  exportSas: string;
  errorsSas: string;
}
interface Measured {
  seconds: number;
  peakMb: number;
  /** Heap in use after a full collection at the end: what the path keeps, garbage aside. */
  liveMb?: number;
  /** With events: until the relay published every notification and the consumers took them in. */
  drainedSeconds?: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Time and peak RSS of this process while `work` runs, sampled every 20 ms. */
async function measured(work: () => Promise<void>): Promise<Measured> {
  let peak = process.memoryUsage.rss();
  let atPeak = process.memoryUsage();
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak) [peak, atPeak] = [now.rss, now];
  }, 20);
  const start = performance.now();
  await work();
  clearInterval(timer);
  if (process.env.BENCH_MEMORY_DETAIL)
    console.error(
      `at peak: ${Object.entries(atPeak as unknown as Record<string, number>)
        .map(([k, v]) => `${k} ${mb(v)} MB`)
        .join(', ')}`,
    );
  const seconds = (performance.now() - start) / 1000;
  const { gc } = globalThis as { gc?: () => void };
  gc?.();
  return {
    seconds,
    ...(gc ? { liveMb: mb(process.memoryUsage().heapUsed) } : {}),
    peakMb: mb(Math.max(peak, process.memoryUsage.rss())),
  };
}

const settingsFor = (env: Env, container: string) =>
  parseSettings({
    COSMOS_ENDPOINT: env.cosmosEndpoint,
    COSMOS_KEY: env.cosmosKey,
    COSMOS_DATABASE: DATABASE,
    COSMOS_CONTAINER: container,
    COSMOS_LEASE_CONTAINER: `leases-${container}`,
    STORAGE_CONNECTION_STRING: env.storage,
    EVENTHUB_CONNECTION: env.eventHubs,
    EVENTHUB_CHECKPOINT_CONTAINER: `ckpt-${container}`,
    JOBS_EXPORT_PAGE_SIZE: String(PAGE),
    JOBS_SLICE_SECONDS: '3600',
    // The job containers are in the service's own (Azurite) account.
    JOBS_OWN_ACCOUNT_CONTAINERS: 'export,import-errors',
  });

function runtime(env: Env, container: string): Promise<RegistryRuntime> {
  return createRegistryServices({
    settings: settingsFor(env, container),
    policies: new Map<string, SharedAccessPolicy>(),
    logger: silentLogger,
  });
}

/** The worker as the queue trigger calls it, slice after slice, until the job ends. */
async function runJob(rt: RegistryRuntime, request: JobRequest): Promise<void> {
  const job = await rt.services.jobs.create(request);
  for (;;) {
    await rt.services.jobWorker.run(job.jobId);
    const now = await rt.services.jobs.get(job.jobId);
    if (isTerminal(now.status)) {
      if (now.status !== 'completed') throw new Error(`Job ${now.status}: ${now.failureReason}`);
      return;
    }
  }
}

const request = (env: Env, type: 'export' | 'import'): JobRequest => ({
  type,
  inputBlobContainerUri: type === 'import' ? env.exportSas : null,
  outputBlobContainerUri: type === 'import' ? env.errorsSas : env.exportSas,
  inputBlobName: 'devices.txt',
  storageAuthenticationType: 'keyBased',
  outputBlobName: type === 'import' ? 'importErrors.log' : 'devices.txt',
  excludeKeysInExport: false,
});

/** One measured path, in this (child) process. */
async function phase(name: Phase, env: Env): Promise<Measured> {
  const cosmos = new CosmosClient({
    endpoint: env.cosmosEndpoint,
    key: env.cosmosKey,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const blobs = BlobServiceClient.fromConnectionString(env.storage);
  switch (name) {
    case 'export': {
      const rt = await runtime(env, 'source');
      return measured(() => runJob(rt, request(env, 'export')));
    }
    case 'import': {
      // The job worker alone: its notifications wait in the outbox for a relay elsewhere.
      const rt = await runtime(env, 'target');
      return measured(() => runJob(rt, request(env, 'import')));
    }
    case 'import-with-events': {
      // As npm start runs it: the relay publishes every notification to the Event Hubs
      // stand-in, and the liveness and catalog triggers consume them, all in this process.
      const settings = settingsFor(env, 'target-events');
      const rt = await runtime(env, 'target-events');
      const relay = await relayTrigger(rt, settings, silentLogger);
      const consumers = eventHubTriggers(rt, settings, silentLogger);
      await relay.start();
      await consumers.start();
      let jobSeconds = 0;
      const result = await measured(async () => {
        const start = performance.now();
        await runJob(rt, request(env, 'import'));
        jobSeconds = (performance.now() - start) / 1000;
        // Drained: nothing left in the outbox, and the consumers have taken in all the hub holds.
        await waitFor(
          async () => {
            const { resources } = await rt.identities.items
              .query<number>("SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'outbox'")
              .fetchAll();
            return resources.reduce((a, b) => a + b, 0) === 0 && (await consumers.caughtUp());
          },
          'the relay and the consumers',
          3_600_000,
          1000,
        );
      });
      // Checked after the measurement: counting reads every entry of the map into memory.
      const counts = await rt.services.liveness.store.countByState();
      const total = DEVICES + DEVICES / MODULE_EVERY;
      if (counts.neverSeen + counts.online + counts.silent !== total)
        throw new Error(`The liveness map holds ${JSON.stringify(counts)}, not ${total} entries`);
      await consumers.stop();
      await relay.stop();
      return { ...result, seconds: jobSeconds, drainedSeconds: result.seconds };
    }
    case 'plain-export': {
      const container = cosmos.database(DATABASE).container('source');
      const blob = blobs.getContainerClient('plain-export').getBlockBlobClient('all.txt');
      const id = (i: number) =>
        Buffer.from(`block-${String(i).padStart(8, '0')}`).toString('base64');
      return measured(async () => {
        let token: string | undefined;
        let blocks = 0;
        do {
          const page = await container.items
            .query('SELECT * FROM c', {
              maxItemCount: PAGE,
              ...(token ? { continuationToken: token } : {}),
            })
            .fetchNext();
          if (page.resources.length > 0) {
            const data = Buffer.from(
              `${page.resources.map((r) => JSON.stringify(r)).join('\n')}\n`,
            );
            await blob.stageBlock(id(blocks++), data, data.length);
          }
          token = page.hasMoreResults ? page.continuationToken : undefined;
        } while (token);
        await blob.commitBlockList(Array.from({ length: blocks }, (_, i) => id(i)));
      });
    }
    case 'plain-import': {
      const container = cosmos.database(DATABASE).container('plain-import');
      const source = blobs.getContainerClient('export').getBlobClient('devices.txt');
      return measured(async () => {
        const text = (await source.downloadToBuffer()).toString('utf8');
        const lines = text.split('\n').filter((l) => l !== '');
        let next = 0;
        const worker = async () => {
          while (next < lines.length) {
            const line = JSON.parse(lines[next++] as string) as { id: string; moduleId?: string };
            await container.items.create({
              ...line,
              id: line.moduleId ? `module.${line.moduleId}` : 'device',
              deviceId: line.id,
            });
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      });
    }
  }
}

async function inChild(name: Phase, env: Env): Promise<Measured> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_MB}`,
      '--expose-gc',
      ...(process.env.BENCH_CHILD_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
      __filename,
      name,
    ],
    {
      env: { ...process.env, BENCH_ENV: JSON.stringify(env) },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (stderr) process.stderr.write(`${name}: ${stderr}`);
  const lines = stdout.trim().split('\n');
  const last = lines.pop() ?? '';
  // Anything else the child printed (node flags like --trace-gc write to stdout) goes to stderr.
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
  return JSON.parse(last) as Measured;
}

async function seed(rt: RegistryRuntime): Promise<void> {
  let next = 0;
  const { devices, modules } = rt.services;
  const worker = async () => {
    while (next < DEVICES) {
      const i = next++;
      const id = `bench-${String(i).padStart(7, '0')}`;
      await devices.create(id, {});
      if (i % MODULE_EVERY === 0) await modules.create(id, 'telemetry', {});
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

async function main(): Promise<void> {
  const [cosmos, azurite, hubs] = await Promise.all([
    startCosmosStandIn(),
    startAzurite({ inMemory: true }),
    startBenchEventHubs(),
  ]);
  try {
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const sas = async (name: string) => {
      const c = blobs.getContainerClient(name);
      await c.createIfNotExists();
      return c.generateSasUrl({
        permissions: ContainerSASPermissions.parse('racwdl'),
        expiresOn: new Date(Date.now() + 6 * 3600_000),
      });
    };
    const env: Env = {
      cosmosEndpoint: cosmos.endpoint,
      cosmosKey: cosmos.key,
      eventHubs: hubs.connectionString(),
      storage: azurite.connectionString,
      exportSas: await sas('export'),
      errorsSas: await sas('import-errors'),
    };
    await sas('plain-export');
    const source = await runtime(env, 'source');
    const target = await runtime(env, 'target');
    const plainTarget = await runtime(env, 'plain-import');
    const seeded = await measured(() => seed(source));
    console.error(`Seeded in ${seeded.seconds.toFixed(1)} s`);

    const exported = await inChild('export', env);
    const plainExport = await inChild('plain-export', env);
    const imported = await inChild('import', env);
    const withEvents = await inChild('import-with-events', env);
    const plainImport = await inChild('plain-import', env);

    // The import must have written everything, and logged nothing.
    const stats = await target.services.devices.statistics();
    const errors = blobs.getContainerClient('import-errors').getBlobClient('importErrors.log');
    const errorBytes = (await errors.getProperties()).contentLength;
    if (stats.totalDeviceCount !== DEVICES || errorBytes !== 0)
      throw new Error(
        `Import incomplete: ${stats.totalDeviceCount} devices, ${errorBytes} log bytes`,
      );
    const file = blobs.getContainerClient('export').getBlobClient('devices.txt');
    const bytes = (await file.getProperties()).contentLength ?? 0;
    await Promise.all([source.close(), target.close(), plainTarget.close()]);

    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const row = (name: string, m: Measured) =>
      `| ${name} | ${m.seconds.toFixed(1)} | ${n(DEVICES / m.seconds)} | ${m.peakMb} | ${m.liveMb ?? '—'} |`;
    console.log(
      `\nbench:jobs — ${n(DEVICES)} devices + ${n(DEVICES / MODULE_EVERY)} modules (${mb(bytes)} MB), page ${PAGE}, ${cpus().length} cores, Node ${process.versions.node}\n`,
    );
    console.log(
      `Each path in a process of its own with V8's old generation limited to ${HEAP_MB} MB; live heap = in use after a full collection at the end.\n`,
    );
    console.log('| path | seconds | devices/s | peak RSS MB | live heap MB |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(row('export job', exported));
    console.log(row('plain: read every document + upload the bytes', plainExport));
    console.log(row('import job (notifications left in the outbox for the relay)', imported));
    console.log(
      row('import job with the relay and the Event Hubs triggers in the same process', withEvents),
    );
    console.log(
      `| … until every notification was relayed over AMQP and in the liveness map | ${withEvents.drainedSeconds?.toFixed(1)} | ${n(DEVICES / (withEvents.drainedSeconds ?? 1))} | ${withEvents.peakMb} | ${withEvents.liveMb ?? '—'} |`,
    );
    console.log(row('plain: download + create the documents', plainImport));
    console.log(row('reference: registry create calls, 64 at once (the seeding)', seeded));
    console.log(`\nExport: ${(plainExport.seconds / exported.seconds).toFixed(2)}× the plain path`);
    console.log(
      `Import: ${(plainImport.seconds / imported.seconds).toFixed(2)}× the plain path (${(plainImport.seconds / withEvents.seconds).toFixed(2)}× with the relay and triggers alongside)`,
    );
    console.log(
      `Peak RSS with lifecycle events on: ${withEvents.peakMb} MB (target < 300 MB: ${withEvents.peakMb < 300 ? 'PASS' : 'MISS'}).`,
    );
  } finally {
    await Promise.all([cosmos.stop(), azurite.stop(), hubs.stop()]);
  }
}

const child = process.argv[2] as Phase | undefined;
(child
  ? phase(child, JSON.parse(process.env.BENCH_ENV ?? '{}') as Env).then((m) =>
      console.log(JSON.stringify(m)),
    )
  : main()
).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
