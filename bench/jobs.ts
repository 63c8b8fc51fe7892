/**
 * bench:jobs — an export and an import of BENCH_DEVICES devices through the job worker, each next
 * to the plain path over the same stores in the same run: for export, a plain read of every
 * document with @azure/cosmos plus a plain upload of the same bytes with @azure/storage-blob; for
 * import, a plain download of the file plus plain creates of the same documents. Prints
 * markdown (devices/s, ratio, peak RSS of this process, which hosts the worker); exits by itself.
 */
import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import type { Container } from '@azure/cosmos';
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { parseSettings } from '../src/config/Settings';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../src/composition/createRegistryServices';
import type { JobRequest } from '../src/domain/jobs/RegistryJob';
import { isTerminal } from '../src/domain/jobs/RegistryJob';
import { startAzurite } from '../src/local/startAzurite';
import { startCosmosStandIn } from '../src/local/startCosmosStandIn';
import { silentLogger } from '../src/ports/Logger';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const MODULE_EVERY = 10; // every 10th device has one module
const PAGE = Number(process.env.BENCH_PAGE_SIZE ?? 2000);
const CONCURRENCY = 16;

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Peak RSS of this process while `work` runs, sampled every 20 ms. */
async function measured<T>(
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; peakMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const start = performance.now();
  try {
    const value = await work();
    return {
      value,
      seconds: (performance.now() - start) / 1000,
      peakMb: mb(Math.max(peak, process.memoryUsage.rss())),
    };
  } finally {
    clearInterval(timer);
  }
}

async function runJob(rt: RegistryRuntime, request: JobRequest): Promise<void> {
  const job = await rt.services.jobs.create(request);
  // The worker as the queue trigger calls it, slice after slice, until the job ends.
  for (;;) {
    await rt.services.jobWorker.run(job.jobId);
    const now = await rt.services.jobs.get(job.jobId);
    if (isTerminal(now.status)) {
      if (now.status !== 'completed') throw new Error(`Job ${now.status}: ${now.failureReason}`);
      return;
    }
  }
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

/** The plain export path: every document read with @azure/cosmos, the same bytes uploaded. */
async function plainExport(
  container: Container,
  upload: (data: Buffer, i: number) => Promise<void>,
  commit: (n: number) => Promise<void>,
) {
  let token: string | undefined;
  let blocks = 0;
  let documents = 0;
  do {
    const page = await container.items
      .query('SELECT * FROM c', {
        maxItemCount: PAGE,
        ...(token ? { continuationToken: token } : {}),
      })
      .fetchNext();
    documents += page.resources.length;
    if (page.resources.length > 0)
      await upload(
        Buffer.from(`${page.resources.map((r) => JSON.stringify(r)).join('\n')}\n`),
        blocks++,
      );
    token = page.hasMoreResults ? page.continuationToken : undefined;
  } while (token);
  await commit(blocks);
  return documents;
}

async function main(): Promise<void> {
  const [cosmos, azurite] = await Promise.all([
    startCosmosStandIn(),
    startAzurite({ inMemory: true }),
  ]);
  const policies = new Map<string, SharedAccessPolicy>();
  const settings = (container: string) =>
    parseSettings({
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_CONTAINER: container,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      JOBS_EXPORT_PAGE_SIZE: String(PAGE),
      JOBS_SLICE_SECONDS: '3600',
    });
  const source = await createRegistryServices({
    settings: settings('source'),
    policies,
    logger: silentLogger,
  });
  const target = await createRegistryServices({
    settings: settings('target'),
    policies,
    logger: silentLogger,
  });
  const blobService = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const container = async (name: string) => {
    const c = blobService.getContainerClient(name);
    await c.createIfNotExists();
    const sas = await c.generateSasUrl({
      permissions: ContainerSASPermissions.parse('racwdl'),
      expiresOn: new Date(Date.now() + 6 * 3600_000),
    });
    return { client: c, sas };
  };
  try {
    const seeded = await measured(() => seed(source));
    const identities = DEVICES + DEVICES / MODULE_EVERY;
    console.error(
      `Seeded ${DEVICES} devices and ${DEVICES / MODULE_EVERY} modules in ${seeded.seconds.toFixed(1)} s`,
    );

    const out = await container('export');
    const exported = await measured(() =>
      runJob(source, {
        type: 'export',
        inputBlobContainerUri: null,
        outputBlobContainerUri: out.sas,
        inputBlobName: 'devices.txt',
        outputBlobName: 'devices.txt',
        excludeKeysInExport: false,
      }),
    );
    const exportBytes =
      (await out.client.getBlobClient('devices.txt').getProperties()).contentLength ?? 0;

    const plainOut = await container('plain-export');
    const plainBlob = plainOut.client.getBlockBlobClient('all.txt');
    const id = (i: number) => Buffer.from(`block-${String(i).padStart(8, '0')}`).toString('base64');
    const plain = await measured(() =>
      plainExport(
        source.cosmos.database('registry').container('source'),
        (data, i) => plainBlob.stageBlock(id(i), data, data.length).then(() => undefined),
        (n) =>
          plainBlob
            .commitBlockList(Array.from({ length: n }, (_, i) => id(i)))
            .then(() => undefined),
      ),
    );
    console.error(`Exported ${exportBytes} bytes; plain path read ${plain.value} documents`);

    const errors = await container('import-errors');
    const imported = await measured(() =>
      runJob(target, {
        type: 'import',
        inputBlobContainerUri: out.sas,
        outputBlobContainerUri: errors.sas,
        inputBlobName: 'devices.txt',
        outputBlobName: 'importErrors.log',
        excludeKeysInExport: false,
      }),
    );
    const errorBytes = (await errors.client.getBlobClient('importErrors.log').getProperties())
      .contentLength;
    const targetStats = await target.services.devices.statistics();
    if (targetStats.totalDeviceCount !== DEVICES || errorBytes !== 0)
      throw new Error(
        `Import incomplete: ${targetStats.totalDeviceCount} devices, ${errorBytes} error bytes`,
      );

    // The plain import path: download the bytes, create the same documents directly.
    const plainTarget = source.cosmos.database('registry');
    const { container: plainContainer } = await plainTarget.containers.createIfNotExists({
      id: 'plain-import',
      partitionKey: { paths: ['/deviceId'] },
    });
    const plainImport = await measured(async () => {
      const text = (await out.client.getBlobClient('devices.txt').downloadToBuffer()).toString(
        'utf8',
      );
      const docs = text.split('\n').filter((l) => l !== '');
      let next = 0;
      const worker = async () => {
        while (next < docs.length) {
          const line = JSON.parse(docs[next++] as string) as { id: string; moduleId?: string };
          await plainContainer.items.create({
            ...line,
            id: line.moduleId ? `module.${line.moduleId}` : 'device',
            deviceId: line.id,
          });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      return docs.length;
    });

    const rate = (s: number) => Math.round(DEVICES / s);
    const row = (name: string, m: { seconds: number; peakMb: number }) =>
      `| ${name} | ${m.seconds.toFixed(1)} | ${rate(m.seconds).toLocaleString('en-US')} | ${m.peakMb} |`;
    console.log(
      `\nbench:jobs — ${DEVICES.toLocaleString('en-US')} devices + ${(DEVICES / MODULE_EVERY).toLocaleString('en-US')} modules (${identities.toLocaleString('en-US')} lines, ${mb(exportBytes)} MB), page ${PAGE}, ${cpus().length} cores, Node ${process.versions.node}\n`,
    );
    console.log('| path | seconds | devices/s | peak RSS MB |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(row('export job (scan, group, stage blocks, checkpoint)', exported));
    console.log(row('plain: read all documents + upload the bytes', plain));
    console.log(row('import job (stream, plan, apply, checkpoint)', imported));
    console.log(row('plain: download + create the documents', plainImport));
    console.log(
      `\nExport ratio to the plain path: ${(plain.seconds / exported.seconds).toFixed(2)}×`,
    );
    console.log(
      `Import ratio to the plain path: ${(plainImport.seconds / imported.seconds).toFixed(2)}×`,
    );
  } finally {
    await source.close();
    await target.close();
    await Promise.all([cosmos.stop(), azurite.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
