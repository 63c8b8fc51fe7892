/**
 * `npm run bench:standin`: what durability costs the Cosmos DB stand-in, and how fast it comes
 * back. Side by side in one run, on the same machine:
 *
 * - creates/s of identity-sized documents (partition key /deviceId) with the journal (every
 *   write fsynced before it is answered, group commit) and in memory only, at 1 and 32 clients;
 * - restart time with BENCH_IDENTITIES documents: after SIGKILL (journal replay, then the
 *   snapshot it compacts into) and after a clean stop (snapshot only), until a read answers.
 *
 * Environment: BENCH_OPS (creates per path and concurrency, default 2000), BENCH_IDENTITIES
 * (default 100000).
 */
import { CosmosClient, type Container, type OperationInput } from '@azure/cosmos';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCosmosStandIn, type CosmosStandIn } from '../standins/cosmos/startCosmosStandIn';

const OPS = Number(process.env.BENCH_OPS ?? 2000);
const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 100_000);

const identity = (deviceId: string) => ({
  id: 'device',
  kind: 'device',
  deviceId,
  generationId: '639029270456780001',
  status: 'enabled',
  statusReason: null,
  statusUpdatedTime: '0001-01-01T00:00:00Z',
  authentication: {
    type: 'sas',
    symmetricKey: {
      primaryKey: Buffer.alloc(32, 1).toString('base64'),
      secondaryKey: Buffer.alloc(32, 2).toString('base64'),
    },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  },
  capabilities: { iotEdge: false },
  deviceScope: null,
  parentScopes: null,
});

async function containerOf(s: CosmosStandIn): Promise<Container> {
  const client = new CosmosClient({
    endpoint: s.endpoint,
    key: s.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const { database } = await client.databases.createIfNotExists({ id: 'bench' });
  const { container } = await database.containers.createIfNotExists({
    id: 'identities',
    partitionKey: { paths: ['/deviceId'] },
  });
  return container;
}

async function createsPerSecond(c: Container, prefix: string, clients: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < OPS) await c.items.create(identity(`${prefix}-${next++}`));
    }),
  );
  return OPS / ((performance.now() - started) / 1000);
}

async function readyAfterStart(dataDir: string): Promise<{ standIn: CosmosStandIn; ms: number }> {
  const started = performance.now();
  const standIn = await startCosmosStandIn({ dataDir });
  const c = await containerOf(standIn);
  await c.item('device', 'fill-0').read();
  return { standIn, ms: performance.now() - started };
}

async function sizeOf(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of await readdir(dir)) {
    const { size } = await stat(join(dir, name));
    parts.push(`${name} ${(size / 1048576).toFixed(1)} MB`);
  }
  return parts.join(', ');
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-standin-'));
  const durable = await startCosmosStandIn({ dataDir });
  const memory = await startCosmosStandIn();
  try {
    const [d, m] = [await containerOf(durable), await containerOf(memory)];
    console.log(`Creates of identity documents, ${OPS} per row`);
    console.log('clients | journal (creates/s) | in memory (creates/s) | ratio');
    for (const clients of [1, 32]) {
      const j = await createsPerSecond(d, `j${clients}`, clients);
      const mem = await createsPerSecond(m, `m${clients}`, clients);
      console.log(
        `${String(clients).padStart(7)} | ${j.toFixed(0).padStart(19)} | ${mem.toFixed(0).padStart(21)} | ${(j / mem).toFixed(2)}`,
      );
    }
    await memory.stop();

    const fillStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < IDENTITIES) {
          const ops: OperationInput[] = [];
          for (let i = 0; i < 100 && next < IDENTITIES; i++) {
            const deviceId = `fill-${next++}`;
            ops.push({
              operationType: 'Create',
              partitionKey: deviceId,
              resourceBody: identity(deviceId),
            });
          }
          await d.items.bulk(ops);
        }
      }),
    );
    console.log(
      `\nFilled ${IDENTITIES} identities in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s; ${await sizeOf(dataDir)}`,
    );
    await durable.kill();
    const afterKill = await readyAfterStart(dataDir);
    console.log(
      `Restart after SIGKILL (journal replay + compaction): ready in ${(afterKill.ms / 1000).toFixed(2)} s; ${await sizeOf(dataDir)}`,
    );
    await afterKill.standIn.stop();
    const afterStop = await readyAfterStart(dataDir);
    console.log(
      `Restart from the snapshot:                         ready in ${(afterStop.ms / 1000).toFixed(2)} s (target ≤ 10 s)`,
    );
    await afterStop.standIn.stop();
  } finally {
    await durable.stop().catch(() => undefined);
    await memory.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`Benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
