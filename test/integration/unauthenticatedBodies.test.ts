import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledBuild } from '../support/compiledBuild';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

const BODY_BYTES = 4 * 1024 * 1024 - 1024;
const REQUESTS = 500;
/** What the host may grow by while 500 callers without a token each send a 4 MB body. */
const RSS_BOUND_MB = 150;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A PUT with a large body and no token, over a raw socket; resolves with the status (or 0). */
function unauthenticatedPut(port: number, i: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    let settled = false;
    const done = (status: number) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(30_000, () => done(0));
    socket.on('error', () => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      if (status && head.includes('\r\n\r\n')) done(Number(status));
    });
    socket.on('close', () => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.write(
      `PUT /devices/big-${i}?api-version=2021-04-12 HTTP/1.1\r\nHost: localhost\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`,
    );
    // The body follows in pieces, as fast as the socket takes them, until the host hangs up.
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (!settled && sent < BODY_BYTES) {
        const n = Math.min(piece.length, BODY_BYTES - sent);
        sent += n;
        if (!socket.write(n === piece.length ? piece : piece.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('bodies of unauthenticated requests', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let dataDir: string;
  let service: ServiceProcess;
  beforeAll(async () => {
    build = await compiledBuild();
    dataDir = await mkdtemp(join(tmpdir(), 'registry-bodies-'));
    service = await startServiceProcess(build.dir, dataDir);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await build.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`are not read: ${REQUESTS} concurrent 4 MB PUTs without a token are 401s and the host grows by less than ${RSS_BOUND_MB} MB`, async () => {
    const pid = service.child.pid!;
    const port = Number(new URL(service.url).port);
    // Warm: the first requests build the services.
    expect((await service.call('GET', '/statistics/devices')).status).toBe(200);
    const before = await rssMb(pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssMb(pid));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const statuses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => unauthenticatedPut(port, i)),
    );
    sampling = false;
    await sampler;
    const answered = statuses.filter((s) => s !== 0);
    // Each caller is told why (a 401), or hung up on while still sending what nobody reads (the
    // hang-up then often discards the answer before the caller reads it).
    expect(answered.every((s) => s === 401)).toBe(true);
    expect(answered.length).toBeGreaterThan(0);
    console.info(
      `unauthenticatedBodies: ${answered.length} answered 401, RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB`,
    );
    expect(peak - before, `RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB`).toBeLessThan(
      RSS_BOUND_MB,
    );
    // And the host still serves.
    expect((await service.call('GET', '/statistics/devices')).status).toBe(200);
  }, 120_000);
});
