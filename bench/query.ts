/**
 * `npm run bench:query`: twin queries through the registry API (POST /devices/query, the local
 * host as `npm start` runs it) next to the same Cosmos SQL run directly with @azure/cosmos on
 * the same container of the same Cosmos stand-in, in the same run.
 *
 * For each query: the first page (100 items) and the whole result (pages of 1,000), the API and
 * the direct path measured alternately, medians reported; the API's translation and paging
 * cost is the ratio's excess over 1 (target ≤ 10%).
 *
 * Environment: BENCH_DEVICES (default 100000), BENCH_REPEAT (default 3), BENCH_VERBOSE=1.
 * Prints markdown; exits non-zero if the two paths ever disagree on the results.
 */
import { CosmosClient, type Container, type JSONObject } from '@azure/cosmos';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileTwinQuery, type CosmosSql } from '../src/adapters/cosmos/compileTwinQuery';
import { toTwinDocument, freshTwin } from '../src/adapters/cosmos/twinDocuments';
import { sign } from '../src/domain/auth/signatureMatches';
import { parseTwinQuery } from '../src/domain/query/parseTwinQuery';
import { newTwinState } from '../src/domain/twin/Twin';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { startBenchHost } from './support/startBenchHost';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const FIRST_PAGE = 100;
const FULL_PAGE = 1000;
const SITES = 20;

const QUERIES = [
  { name: 'tag', text: "SELECT * FROM devices WHERE tags.site = 'site-3'" },
  { name: 'status', text: "SELECT * FROM devices WHERE status = 'disabled'" },
  { name: 'COUNT … GROUP BY', text: 'SELECT status, COUNT() AS n FROM devices GROUP BY status' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** Twin documents as the registry stores them, written with bulk operations. */
async function seed(container: Container): Promise<void> {
  const now = new Date().toISOString();
  let next = 0;
  const worker = async () => {
    while (next < DEVICES) {
      const from = next;
      next = Math.min(DEVICES, next + 100);
      const operations = [];
      for (let i = from; i < next; i++) {
        const deviceId = `q-${String(i).padStart(7, '0')}`;
        const twin = freshTwin(
          {
            deviceId,
            generationId: '1',
            status: i % 10 === 0 ? 'disabled' : 'enabled',
            statusReason: null,
            statusUpdateTime: now,
            authenticationType: 'sas',
            x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
            capabilities: { iotEdge: false },
            deviceScope: null,
            parentScopes: null,
          },
          { ...newTwinState(now), tags: { site: `site-${i % SITES}`, model: `m${i % 7}` } },
        );
        operations.push({
          operationType: 'Create' as const,
          resourceBody: toTwinDocument(twin) as unknown as JSONObject,
        });
      }
      const results = await container.items.bulk(operations);
      if (results.some((r) => r.statusCode >= 300)) throw new Error('Seeding failed');
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function apiPath(url: string, ownerKey: string) {
  const se = Math.floor(Date.now() / 1000) + 6 * 3600;
  const authorization = `SharedAccessSignature sr=localhost&sig=${encodeURIComponent(sign(ownerKey, 'localhost', se))}&se=${se}&skn=iothubowner`;
  const page = async (query: string, size: number, token?: string) => {
    const res = await fetch(`${url}/devices/query?api-version=2021-04-12`, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/json; charset=utf-8',
        'x-ms-max-item-count': String(size),
        ...(token ? { 'x-ms-continuation': token } : {}),
      },
      body: JSON.stringify({ query }),
    });
    const items = (await res.json()) as unknown[];
    if (res.status !== 200)
      throw new Error(`The API answered ${res.status}: ${JSON.stringify(items)}`);
    return { items, token: res.headers.get('x-ms-continuation') ?? undefined };
  };
  return {
    first: async (query: string) => (await page(query, FIRST_PAGE)).items.length,
    all: async (query: string) => {
      let rows = 0;
      let token: string | undefined;
      do {
        const p = await page(query, FULL_PAGE, token);
        rows += p.items.length;
        token = p.token;
      } while (token);
      return rows;
    },
  };
}

function directPath(container: Container) {
  const page = async (sql: CosmosSql, size: number, token?: string) => {
    const p = await container.items
      .query(sql, { maxItemCount: size, ...(token ? { continuationToken: token } : {}) })
      .fetchNext();
    return { items: p.resources, token: p.hasMoreResults ? p.continuationToken : undefined };
  };
  return {
    first: async (sql: CosmosSql) => (await page(sql, FIRST_PAGE)).items.length,
    all: async (sql: CosmosSql, grouped: boolean) => {
      const groups = new Map<string, number>();
      let rows = 0;
      let token: string | undefined;
      do {
        // A grouped query reads its keys in large pages, as the registry does.
        const p = await page(sql, grouped ? 10_000 : FULL_PAGE, token);
        if (grouped)
          for (const row of p.items) {
            const key = JSON.stringify(row);
            groups.set(key, (groups.get(key) ?? 0) + 1);
          }
        else rows += p.items.length;
        token = p.token;
      } while (token);
      return grouped ? groups.size : rows;
    },
  };
}

async function main(): Promise<void> {
  const cosmos = await startCosmosStandIn();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-query-'));
  const host = await startBenchHost(cosmos, dataDir, process.env.BENCH_VERBOSE === '1').catch(
    async (error: unknown) => {
      await cosmos.stop();
      throw error;
    },
  );
  try {
    const api = apiPath(host.url, host.ownerKey);
    // The first call makes the host create its containers.
    await api.first('SELECT * FROM devices');
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const container = client.database('registry').container('identities');
    const seeded = await timed(() => seed(container));
    console.error(`Seeded ${DEVICES} twins in ${(seeded.ms / 1000).toFixed(1)} s`);
    const direct = directPath(container);

    const rows: string[] = [];
    for (const q of QUERIES) {
      const compiled = compileTwinQuery(parseTwinQuery(q.text));
      const grouped = compiled.kind === 'groups';
      const firstApi: number[] = [];
      const firstDirect: number[] = [];
      const allApi: number[] = [];
      const allDirect: number[] = [];
      let results = 0;
      for (let i = 0; i < REPEAT; i++) {
        if (!grouped) {
          const a = await timed(() => api.first(q.text));
          const d = await timed(() => direct.first(compiled.sql));
          if (a.value !== d.value) throw new Error(`${q.name}: first pages differ`);
          firstApi.push(a.ms);
          firstDirect.push(d.ms);
        }
        const a = await timed(() => api.all(q.text));
        const d = await timed(() => direct.all(compiled.sql, grouped));
        if (a.value !== d.value)
          throw new Error(`${q.name}: the API found ${a.value} results, direct ${d.value}`);
        results = a.value;
        allApi.push(a.ms);
        allDirect.push(d.ms);
      }
      const ratio = (api: number[], dir: number[]) => median(api) / median(dir);
      const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
      const first = grouped
        ? '— | — | —'
        : `${median(firstApi).toFixed(1)} | ${median(firstDirect).toFixed(1)} | ${pct(ratio(firstApi, firstDirect))}`;
      const perS = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
      rows.push(
        `| ${q.name} | ${results.toLocaleString('en-US')} | ${first} | ${perS(DEVICES, median(allApi))} | ${perS(DEVICES, median(allDirect))} | ${pct(ratio(allApi, allDirect))} |`,
      );
    }
    console.log(
      `\nbench:query — ${DEVICES.toLocaleString('en-US')} device twins, median of ${REPEAT}, ${os.cpus().length} cores, Node ${process.versions.node}\n`,
    );
    console.log(
      '| query | results | first page API ms | direct ms | API cost | whole result API twins scanned/s | direct | API cost |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
    console.log(
      '\nAPI cost: the API path over the direct @azure/cosmos path running the same SQL (target ≤ +10%).',
    );
  } finally {
    await host.stop();
    await cosmos.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('Benchmark failed:', error);
    process.exit(1);
  },
);
