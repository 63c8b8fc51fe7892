/**
 * `npm run bench:registry`: the registry's HTTP API against the Cosmos stand-in it runs on,
 * side by side with the same store operations made directly with @azure/cosmos.
 *
 * - One Cosmos stand-in (its own process), shared by both paths.
 * - The local host as a separate process, exactly as `npm start` runs it (dist/local/main.js).
 * - API path: global fetch (undici, keep-alive) with a SAS token of iothubowner.
 * - Direct path: CosmosClient on a separate container of the same database, partitioned by
 *   /deviceId, on documents of the shape the registry stores.
 * - Direct batch (the fair floor of a write): the same transactional batch the registry commits
 *   (ledger, identity, twin, outbox record) made directly with @azure/cosmos on a container of
 *   its own, from state the bench keeps (bench/support/directBatchDriver.ts); gets are direct.
 * - HTTP floor: the API path's client (same fetch, same requests) against a bare node:http server
 *   in a process of its own that answers from a Map with replies of the registry's shape
 *   (bench/support/httpFloorServer.ts): the least an HTTP service can do per call here.
 *
 * Environment (all optional):
 *   BENCH_OPS          operations per op and path: one number for every concurrency, or one per
 *                      concurrency ("500,2000"); default 500 at concurrency 1, 2000 above
 *   BENCH_CONCURRENCY  concurrencies to measure, default "1,32"
 *   BENCH_WARMUP       warm-up operations per op and path (not measured), default 200
 *   BENCH_TIMEOUT_S    hard limit of the whole run, default 900
 *   BENCH_VERBOSE=1    forward the host's and the stand-in's stderr
 *   BENCH_QUIET_WAIT_S before each phase, wait up to this long (default 15) for other processes
 *                      on the machine to use less than 0.1 core; 0 = do not wait
 *   BENCH_PIPELINE     host (default, as npm start) or process: the relay and the Event Hubs
 *                      consumers in a process of their own (LOCAL_PIPELINE), whose CPU is
 *                      reported apart, so host CPU is the request path's alone
 *   BENCH_HOST_PROFILE a directory: the host runs with --cpu-prof and writes its profile there
 *
 * Exit code 0 when every operation succeeded (targets missed or not), non-zero on any error.
 */
import { CosmosClient, type Container } from '@azure/cosmos';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseSettings } from '../src/config/Settings';
import { sign } from '../src/domain/auth/signatureMatches';
import { NEVER } from '../src/domain/identity/never';
import { newGenerationId } from '../src/domain/identity/newGenerationId';
import { generateKey } from '../src/domain/identity/resolveAuthentication';
import { startCosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import { directBatchDriver } from './support/directBatchDriver';
import { startBenchHost, type Host } from './support/startBenchHost';
import { startChildServer } from './support/runChild';

const API_VERSION = '2021-04-12';
const DIRECT_CONTAINER = 'bench-direct';
const PAUSE_BETWEEN_PHASES_MS = 200;
const DIRECT_BATCH_CONTAINER = 'bench-direct-batch';
const TARGET_RATIO = 0.6;
/** Issue 23: p50 overhead over the direct batch (writes) or direct read (get) at one client. */
const TARGET_P50_OVERHEAD_MS: Record<Op, number> = { create: 2, get: 1, update: 2, delete: 2 };
/** Issue 23: host CPU per write at 32 clients, relay and consumers included. */
const TARGET_HOST_CPU_MS = 2;

type Op = 'create' | 'get' | 'update' | 'delete';
const OPS: readonly Op[] = ['create', 'get', 'update', 'delete'];
type PathName = 'api' | 'direct' | 'batch' | 'floor';
/** Which path runs first rotates by op and concurrency, so none always runs on a warm machine. */
const ORDERS: readonly PathName[][] = [
  ['api', 'direct', 'batch', 'floor'],
  ['direct', 'batch', 'floor', 'api'],
  ['batch', 'floor', 'api', 'direct'],
  ['floor', 'api', 'direct', 'batch'],
];

// ---------------------------------------------------------------------------------------------
// Configuration

function positiveInt(name: string, text: string): number {
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number`);
  return n;
}

function listOf(name: string, fallback: string): number[] {
  return (process.env[name]?.trim() || fallback).split(',').map((s) => positiveInt(name, s));
}

const concurrencies = listOf('BENCH_CONCURRENCY', '1,32');
const opsSetting = process.env.BENCH_OPS?.trim()
  ? listOf('BENCH_OPS', '')
  : concurrencies.map((c) => (c === 1 ? 500 : 2000));
if (opsSetting.length !== 1 && opsSetting.length !== concurrencies.length)
  throw new Error('BENCH_OPS must hold one number, or one per BENCH_CONCURRENCY entry');
const opsAt = (i: number): number => (opsSetting.length === 1 ? opsSetting[0] : opsSetting[i])!;
const warmupOps = listOf('BENCH_WARMUP', '200')[0]!;
const timeoutMs = listOf('BENCH_TIMEOUT_S', '900')[0]! * 1000;
const verbose = process.env.BENCH_VERBOSE === '1';
const quietWaitMs = Number(process.env.BENCH_QUIET_WAIT_S?.trim() || '15') * 1000;

// ---------------------------------------------------------------------------------------------
// Processes

// ---------------------------------------------------------------------------------------------
// CPU accounting: this process via process.cpuUsage, the children via /proc (Linux only).

const CLOCK_TICKS_PER_S = 100;

async function procCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based in proc(5)).
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** The pid of `parent`'s child whose command line names `entry`, if any. */
async function childRunning(
  parent: number | undefined,
  entry: string,
): Promise<number | undefined> {
  if (parent === undefined) return undefined;
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(entry)) return Number(name);
  }
  return undefined;
}

/** Our children (the stand-in is spawned by startCosmosStandIn, which keeps its pid to itself). */
async function childPids(): Promise<number[]> {
  try {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    }
    return pids;
  } catch {
    return [];
  }
}

interface CpuSnapshot {
  bench: number;
  host: number | undefined;
  pipeline: number | undefined;
  cosmos: number | undefined;
  /** Busy CPU of the whole machine (all processes), from /proc/stat. */
  machine: number | undefined;
}

/** user + nice + system + irq + softirq + steal of the "cpu" line of /proc/stat, in ms. */
async function machineBusyMs(): Promise<number | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (a, b) => a + (b ?? 0),
      0,
    );
    return Number.isFinite(busy) ? (busy * 1000) / CLOCK_TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}

let hostPid: number | undefined;
let pipelinePid: number | undefined;
let cosmosPid: number | undefined;

async function cpuSnapshot(): Promise<CpuSnapshot> {
  const { user, system } = process.cpuUsage();
  return {
    bench: (user + system) / 1000,
    host: await procCpuMs(hostPid),
    pipeline: await procCpuMs(pipelinePid),
    cosmos: await procCpuMs(cosmosPid),
    machine: await machineBusyMs(),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface PhaseResult {
  n: number;
  elapsedMs: number;
  opsPerS: number;
  p50: number;
  p99: number;
  errors: number;
  firstError: string | undefined;
  /** CPU ms per operation of each process, when known. */
  cpuPerOp: {
    bench: number;
    host: number | undefined;
    pipeline: number | undefined;
    cosmos: number | undefined;
  };
  /** CPU used by other processes on the machine during the phase, in cores (0.5 = half a core). */
  otherCores: number | undefined;
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

async function runPhase(
  ids: readonly string[],
  concurrency: number,
  op: (id: string) => Promise<void>,
): Promise<PhaseResult> {
  const latencies = new Float64Array(ids.length);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu0 = await cpuSnapshot();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const start = performance.now();
        try {
          await op(ids[i]!);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
        latencies[i] = performance.now() - start;
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  const cpu1 = await cpuSnapshot();
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : (b - a) / ids.length;
  latencies.sort();
  return {
    n: ids.length,
    elapsedMs,
    opsPerS: (ids.length * 1000) / elapsedMs,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
    firstError,
    cpuPerOp: {
      bench: (cpu1.bench - cpu0.bench) / ids.length,
      host: per(cpu0.host, cpu1.host),
      pipeline: per(cpu0.pipeline, cpu1.pipeline),
      cosmos: per(cpu0.cosmos, cpu1.cosmos),
    },
    otherCores:
      cpu0.machine === undefined || cpu1.machine === undefined
        ? undefined
        : Math.max(
            0,
            cpu1.machine -
              cpu0.machine -
              (cpu1.bench - cpu0.bench) -
              ((cpu1.host ?? 0) - (cpu0.host ?? 0)) -
              ((cpu1.pipeline ?? 0) - (cpu0.pipeline ?? 0)) -
              ((cpu1.cosmos ?? 0) - (cpu0.cosmos ?? 0)),
          ) / elapsedMs,
  };
}

type Driver = Record<Op, (id: string) => Promise<void>>;

/** The registry's HTTP API, as an SDK would call it. */
function apiDriver(
  baseUrl: string,
  ownerKey: string,
): Driver & { floor: (id: string) => Promise<void> } {
  const sr = 'localhost';
  let token = '';
  let tokenRenewAt = 0;
  const authorization = (): string => {
    const nowS = Math.floor(Date.now() / 1000);
    if (nowS >= tokenRenewAt) {
      const se = nowS + 3600;
      token = `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(ownerKey, sr, se))}&se=${se}&skn=iothubowner`;
      tokenRenewAt = se - 600;
    }
    return token;
  };
  const deviceUrl = (id: string) =>
    `${baseUrl}/devices/${encodeURIComponent(id)}?api-version=${API_VERSION}`;

  async function call(
    method: string,
    url: string,
    expected: number,
    extra: { body?: string; ifMatch?: string } = {},
  ): Promise<void> {
    const headers: Record<string, string> = { authorization: authorization() };
    if (extra.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    if (extra.ifMatch !== undefined) headers['if-match'] = extra.ifMatch;
    const res = await fetch(url, { method, headers, body: extra.body });
    // Read every body whole (as a client would), so the connection goes back to the pool.
    const text = await res.text();
    if (res.status !== expected) {
      throw new Error(`${method} ${new URL(url).pathname}: ${res.status} ${text.slice(0, 200)}`);
    }
    if (text) JSON.parse(text);
  }

  return {
    create: (id) => call('PUT', deviceUrl(id), 200, { body: '{}' }),
    get: (id) => call('GET', deviceUrl(id), 200),
    update: (id) =>
      call('PUT', deviceUrl(id), 200, { body: '{"status":"disabled"}', ifMatch: '"*"' }),
    delete: (id) => call('DELETE', deviceUrl(id), 204, { ifMatch: '"*"' }),
    // The host's own floor: an unrouted path, answered 404 without a handler or Cosmos.
    floor: (id) => call('GET', `${baseUrl}/bench-floor/${id}/x/y`, 404),
  };
}

interface BenchDeviceDocument {
  id: 'device';
  kind: 'device';
  deviceId: string;
  generationId: string;
  status: 'enabled' | 'disabled';
  statusReason: string | null;
  statusUpdatedTime: string;
  authentication: {
    type: 'sas';
    symmetricKey: { primaryKey: string; secondaryKey: string };
    x509Thumbprint: { primaryThumbprint: null; secondaryThumbprint: null };
  };
  capabilities: { iotEdge: boolean };
  deviceScope: string | null;
  parentScopes: string[] | null;
}

/** The same store operations, straight to Cosmos, on documents shaped like the registry's. */
function directDriver(container: Container): Driver {
  const docs = new Map<string, { doc: BenchDeviceDocument; etag: string }>();
  const known = (id: string) => {
    const entry = docs.get(id);
    if (!entry) throw new Error(`direct: ${id} was never created`);
    return entry;
  };
  const etagOf = (resource: { _etag?: unknown } | undefined, what: string): string => {
    if (typeof resource?._etag !== 'string') throw new Error(`direct ${what}: no _etag returned`);
    return resource._etag;
  };
  return {
    create: async (id) => {
      const doc: BenchDeviceDocument = {
        id: 'device',
        kind: 'device',
        deviceId: id,
        generationId: newGenerationId(new Date()),
        status: 'enabled',
        statusReason: null,
        statusUpdatedTime: NEVER,
        authentication: {
          type: 'sas',
          symmetricKey: { primaryKey: generateKey(), secondaryKey: generateKey() },
          x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
        },
        capabilities: { iotEdge: false },
        deviceScope: null,
        parentScopes: null,
      };
      const { resource } = await container.items.create(doc);
      docs.set(id, { doc, etag: etagOf(resource, 'create') });
    },
    get: async (id) => {
      const { resource, statusCode } = await container
        .item('device', id)
        .read<BenchDeviceDocument>();
      if (statusCode !== 200 || resource?.deviceId !== id)
        throw new Error(`direct get ${id}: status ${statusCode}`);
    },
    update: async (id) => {
      const entry = known(id);
      const doc: BenchDeviceDocument = {
        ...entry.doc,
        status: 'disabled',
        statusUpdatedTime: new Date().toISOString(),
      };
      const { resource } = await container
        .item('device', id)
        .replace(doc, { accessCondition: { type: 'IfMatch', condition: entry.etag } });
      docs.set(id, { doc, etag: etagOf(resource, 'replace') });
    },
    delete: async (id) => {
      const { etag } = known(id);
      const { statusCode } = await container
        .item('device', id)
        .delete({ accessCondition: { type: 'IfMatch', condition: etag } });
      if (statusCode !== 204) throw new Error(`direct delete ${id}: status ${statusCode}`);
      docs.delete(id);
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU used by processes other than ours over a short window, in cores. */
async function otherLoad(windowMs: number): Promise<number | undefined> {
  const a = await cpuSnapshot();
  await sleep(windowMs);
  const b = await cpuSnapshot();
  if (a.machine === undefined || b.machine === undefined) return undefined;
  const ours =
    b.bench -
    a.bench +
    ((b.host ?? 0) - (a.host ?? 0)) +
    ((b.pipeline ?? 0) - (a.pipeline ?? 0)) +
    ((b.cosmos ?? 0) - (a.cosmos ?? 0));
  return Math.max(0, b.machine - a.machine - ours) / windowMs;
}

let quietWaitedMs = 0;

/** Waits (bounded) until the rest of the machine is quiet, so a phase does not share the CPUs. */
async function waitForQuiet(): Promise<void> {
  const until = Date.now() + quietWaitMs;
  const start = Date.now();
  for (;;) {
    const load = await otherLoad(PAUSE_BETWEEN_PHASES_MS);
    if (load === undefined || load < 0.1 || Date.now() >= until) break;
  }
  quietWaitedMs += Date.now() - start - PAUSE_BETWEEN_PHASES_MS;
}
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function cycle(
  driver: Driver,
  ids: readonly string[],
  concurrency: number,
  what: string,
): Promise<void> {
  for (const op of OPS) {
    const r = await runPhase(ids, concurrency, driver[op]);
    if (r.errors) throw new Error(`warm-up ${what} ${op} failed ${r.errors}x: ${r.firstError}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const f1 = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(1);
const f2 = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(2);
const f0 = (x: number) => Math.round(x).toString();

interface Row {
  op: Op;
  concurrency: number;
  first: PathName;
  api: PhaseResult;
  direct: PhaseResult;
  batch: PhaseResult;
  floor: PhaseResult;
}

/** What the API is judged against: the direct batch for writes, the direct read for gets. */
const fairFloor = (r: Row): PhaseResult => (r.op === 'get' ? r.direct : r.batch);
const ratioMet = (r: Row) => r.api.opsPerS / fairFloor(r).opsPerS >= TARGET_RATIO;
const overheadMet = (r: Row) => r.api.p50 - fairFloor(r).p50 <= TARGET_P50_OVERHEAD_MS[r.op];
const cpuMet = (r: Row) => (r.api.cpuPerOp.host ?? Infinity) <= TARGET_HOST_CPU_MS;

function printReport(rows: readonly Row[], floors: ReadonlyMap<number, PhaseResult>): void {
  console.log('');
  console.log('## Registry API vs direct Cosmos (same stand-in)');
  console.log('');
  const cpus = os.cpus();
  console.log(
    `Machine: ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.release()}, Node ${process.version}`,
  );
  console.log(
    `Targets (issue 23): API throughput >= ${TARGET_RATIO} of the direct batch (writes) or direct read (get) at 32 clients; p50 overhead over it <= 2 ms (writes), 1 ms (get) at one client; host CPU per write <= ${TARGET_HOST_CPU_MS} ms at 32 clients. direct = one document (bare floor); batch = the registry's transactional batch (ledger, identity, twin, outbox) made directly (fair floor). HTTP floor: a bare node:http server answering from a Map. Latencies in ms.`,
  );
  console.log('');
  console.log(
    '| op | conc | N | HTTP floor ops/s | direct ops/s | batch ops/s | API ops/s | API/direct | API/batch | API/floor | direct p50 | batch p50 | API p50 / p99 | p50 overhead over fair floor | host CPU ms/op | errors (api/direct/batch/floor) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const { op, concurrency, api, direct, batch, floor } = row;
    const fair = fairFloor(row);
    const overhead = api.p50 - fair.p50;
    const judged = (ratio: number) =>
      `${ratio.toFixed(2)}${concurrency >= 32 ? ` ${ratioMet(row) ? 'met' : 'missed'}` : ''}`;
    console.log(
      `| ${op} | ${concurrency} | ${api.n} | ${f0(floor.opsPerS)} | ${f0(direct.opsPerS)} | ${op === 'get' ? '—' : f0(batch.opsPerS)} | ${f0(api.opsPerS)} | ${op === 'get' ? judged(api.opsPerS / direct.opsPerS) : (api.opsPerS / direct.opsPerS).toFixed(2)} | ${op === 'get' ? '—' : judged(api.opsPerS / batch.opsPerS)} | ${(api.opsPerS / floor.opsPerS).toFixed(2)} | ${f2(direct.p50)} | ${op === 'get' ? '—' : f2(batch.p50)} | ${f2(api.p50)} / ${f2(api.p99)} | ${f2(overhead)}${concurrency === 1 ? ` ${overheadMet(row) ? 'met' : 'missed'}` : ''} | ${f2(api.cpuPerOp.host)}${concurrency >= 32 && op !== 'get' ? ` ${cpuMet(row) ? 'met' : 'missed'}` : ''} | ${api.errors}/${direct.errors}/${batch.errors}/${floor.errors} |`,
    );
  }
  if (floors.size) {
    console.log('');
    console.log(
      'Host floor (unrouted GET answered 404 by the local host: HTTP parsing and writing only, no handler, no Cosmos):',
    );
    console.log('');
    console.log('| conc | N | ops/s | p50 / p99 | host CPU ms/op | bench CPU ms/op |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    for (const [c, r] of floors) {
      console.log(
        `| ${c} | ${r.n} | ${f0(r.opsPerS)} | ${f2(r.p50)} / ${f2(r.p99)} | ${f2(r.cpuPerOp.host)} | ${f2(r.cpuPerOp.bench)} |`,
      );
    }
  }
  console.log('');
  console.log(
    'CPU ms per operation by process (bench = this process, incl. its HTTP or Cosmos client; host = the registry; cosmos = the stand-in). Order = which path ran first.',
  );
  console.log('');
  console.log(
    '| op | conc | order | direct: bench / cosmos | batch: bench / cosmos | API: bench / host / pipeline / cosmos | direct total | batch total | API total | other load, cores (direct / batch / API) |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const { op, concurrency, first, api, direct, batch } of rows) {
    const sum = (c: PhaseResult['cpuPerOp']) =>
      c.host === undefined && c.cosmos === undefined
        ? undefined
        : c.bench + (c.host ?? 0) + (c.pipeline ?? 0) + (c.cosmos ?? 0);
    console.log(
      `| ${op} | ${concurrency} | ${first} first | ${f2(direct.cpuPerOp.bench)} / ${f2(direct.cpuPerOp.cosmos)} | ${f2(batch.cpuPerOp.bench)} / ${f2(batch.cpuPerOp.cosmos)} | ${f2(api.cpuPerOp.bench)} / ${f2(api.cpuPerOp.host)} / ${f2(api.cpuPerOp.pipeline)} / ${f2(api.cpuPerOp.cosmos)} | ${f2(sum(direct.cpuPerOp))} | ${f2(sum(batch.cpuPerOp))} | ${f2(sum(api.cpuPerOp))} | ${f2(direct.otherCores)} / ${f2(batch.otherCores)} / ${f2(api.otherCores)} |`,
    );
  }
  const judged = rows.flatMap((r) =>
    r.concurrency === 1
      ? [overheadMet(r)]
      : r.concurrency >= 32
        ? r.op === 'get'
          ? [ratioMet(r)]
          : [ratioMet(r), cpuMet(r)]
        : [],
  );
  const met = judged.filter(Boolean).length;
  const busiest = Math.max(
    ...rows.flatMap((r) => [
      r.api.otherCores ?? 0,
      r.direct.otherCores ?? 0,
      r.batch.otherCores ?? 0,
    ]),
  );
  if (busiest > 0.1) {
    console.log('');
    console.log(
      `WARNING: other processes used up to ${busiest.toFixed(2)} cores during a phase: this run is not a clean measurement.`,
    );
  }
  console.log('');
  console.log(
    `${met} of ${judged.length} goals met (p50 overhead at one client; throughput and host CPU per write at 32). Wall time per phase: ${rows
      .map(
        (r) =>
          `${r.op}@${r.concurrency} ${f1(r.api.elapsedMs / 1000)}s/${f1(r.direct.elapsedMs / 1000)}s/${f1(r.batch.elapsedMs / 1000)}s/${f1(r.floor.elapsedMs / 1000)}s`,
      )
      .join(', ')} (API/direct/batch/floor).`,
  );
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const stops: (() => Promise<void>)[] = [];
  let hostHandle: Host | undefined;
  const cleanup = async () => {
    for (const s of stops.reverse())
      await s().catch((e: unknown) => console.error('stop failed', e));
    stops.length = 0;
  };
  const deadline = setTimeout(() => {
    console.error(`Benchmark exceeded BENCH_TIMEOUT_S (${timeoutMs / 1000} s): stopping`);
    void cleanup().finally(() => process.exit(3));
  }, timeoutMs);
  let failed = false;
  try {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'registry-bench-'));
    stops.push(() => rm(dataDir, { recursive: true, force: true }));

    console.log('Starting the Cosmos stand-in...');
    const cosmos = await startCosmosStandIn({
      log: (line) => {
        if (verbose) console.error(line);
      },
    });
    stops.push(() => cosmos.stop());
    cosmosPid = (await childPids())[0];

    console.log('Starting the registry host (node dist/local/main.js)...');
    hostHandle = await startBenchHost(cosmos, dataDir, verbose);
    const host = hostHandle;
    stops.push(() => host.stop());
    hostPid = host.child.pid;
    pipelinePid = await childRunning(hostPid, 'pipelineMain.js');
    if (pipelinePid !== undefined) console.log('Relay and consumers in a process of their own');
    console.log(`Host at ${host.url}; Cosmos stand-in at ${cosmos.endpoint}`);

    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    stops.push(() => Promise.resolve(client.dispose()));
    const databaseId = parseSettings({}).COSMOS_DATABASE;
    const { database } = await client.databases.createIfNotExists({ id: databaseId });
    const { container } = await database.containers.createIfNotExists({
      id: DIRECT_CONTAINER,
      partitionKey: { paths: ['/deviceId'] },
    });

    console.log('Starting the HTTP floor (a bare node:http server)...');
    const httpFloor = await startChildServer('httpFloorServer', {});
    stops.push(() => httpFloor.stop());

    const { container: batchContainer } = await database.containers.createIfNotExists({
      id: DIRECT_BATCH_CONTAINER,
      partitionKey: { paths: ['/deviceId'] },
    });

    const api = apiDriver(host.url, host.ownerKey);
    const direct = directDriver(container);
    const batch = directBatchDriver(batchContainer);
    const floorPath = apiDriver(`http://127.0.0.1:${httpFloor.port}`, host.ownerKey);
    const drivers: Record<PathName, Driver> = { api, direct, batch, floor: floorPath };
    const run = `b${Date.now().toString(36)}`;

    console.log(`Warming up (${warmupOps} operations per op and path, not measured)...`);
    await cycle(api, range(`${run}-wu-api`, warmupOps), 16, 'API');
    await cycle(direct, range(`${run}-wu-direct`, warmupOps), 16, 'direct');
    await cycle(batch, range(`${run}-wu-batch`, warmupOps), 16, 'direct batch');
    await cycle(floorPath, range(`${run}-wu-floor`, warmupOps), 16, 'HTTP floor');
    await runPhase(range('wu', warmupOps), 16, api.floor);

    const rows: Row[] = [];
    const floors = new Map<number, PhaseResult>();
    for (const [k, concurrency] of concurrencies.entries()) {
      const n = opsAt(k);
      // Re-open this concurrency's connections (idle ones are closed after a few seconds).
      const small = Math.max(20, 4 * concurrency);
      await cycle(api, range(`${run}-c${concurrency}-wu-api`, small), concurrency, 'API');
      await cycle(direct, range(`${run}-c${concurrency}-wu-direct`, small), concurrency, 'direct');
      await cycle(batch, range(`${run}-c${concurrency}-wu-batch`, small), concurrency, 'batch');
      await cycle(floorPath, range(`${run}-c${concurrency}-wu-floor`, small), concurrency, 'floor');

      const ids: Record<PathName, string[]> = {
        api: range(`${run}-c${concurrency}-api`, n),
        direct: range(`${run}-c${concurrency}-direct`, n),
        batch: range(`${run}-c${concurrency}-batch`, n),
        floor: range(`${run}-c${concurrency}-floor`, n),
      };
      for (const [j, op] of OPS.entries()) {
        const order = ORDERS[(j + k) % ORDERS.length]!;
        const first = order[0]!;
        const results: Partial<Record<PathName, PhaseResult>> = {};
        for (const p of order) {
          await waitForQuiet();
          const r = await runPhase(ids[p], concurrency, drivers[p][op]);
          results[p] = r;
          console.log(
            `  c=${concurrency} ${op.padEnd(6)} ${p.padEnd(6)} ${f0(r.opsPerS).padStart(6)} ops/s  p50 ${f2(r.p50)} ms  p99 ${f2(r.p99)} ms${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}`,
          );
        }
        rows.push({
          op,
          concurrency,
          first,
          api: results.api!,
          direct: results.direct!,
          batch: results.batch!,
          floor: results.floor!,
        });
      }
      await waitForQuiet();
      const floor = await runPhase(range('floor', n), concurrency, api.floor);
      floors.set(concurrency, floor);
      console.log(
        `  c=${concurrency} floor  api    ${f0(floor.opsPerS).padStart(6)} ops/s  p50 ${f2(floor.p50)} ms  p99 ${f2(floor.p99)} ms`,
      );
      if (floor.errors) failed = true;
    }

    printReport(rows, floors);
    if (quietWaitedMs > 1000)
      console.log(`(Waited ${f1(quietWaitedMs / 1000)} s in all for other processes to go quiet.)`);
    const errors = rows.reduce(
      (a, r) => a + r.api.errors + r.direct.errors + r.batch.errors + r.floor.errors,
      0,
    );
    if (errors) {
      failed = true;
      console.error(`\n${errors} operation(s) failed: see the errors column.`);
    }
    if (host.stderrTail.length && (failed || verbose)) {
      console.error(`Host stderr (last lines):\n${host.stderrTail.join('\n')}`);
    }
  } catch (error) {
    failed = true;
    console.error(`Benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await cleanup();
    clearTimeout(deadline);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything started is stopped by now; do not let a lingering idle socket hold the exit.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
