import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/blobContainers';
import { compiledBuild } from '../support/compiledBuild';
import { processesIn, signalGroup } from '../support/processGroup';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

/**
 * `npm start` in a terminal: Ctrl-C signals the whole process group (the host and every
 * stand-in at once). Everything must be gone within 10 s with what it acknowledged kept, and a
 * second Ctrl-C must not wait.
 */
describe('npm start stopped by a signal to its whole process group', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let dataDir: string;
  const started: ServiceProcess[] = [];
  beforeAll(async () => {
    build = await compiledBuild();
    dataDir = await mkdtemp(join(tmpdir(), 'registry-signals-'));
  }, 120_000);
  afterAll(async () => {
    for (const s of started) await s.kill();
    await build.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Writes devices until told to stop; returns the IDs that were acknowledged. */
  function writeUnderLoad(service: ServiceProcess, prefix: string) {
    const acknowledged = new Set<string>();
    let done = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !done; i++) {
        const id = `${prefix}-${w}-${i}`;
        const reply = await service.call('PUT', `/devices/${id}`, {}).catch(() => undefined);
        if (reply?.status === 200) acknowledged.add(id);
        else if (reply === undefined) return; // the host is gone
      }
    });
    return {
      acknowledged,
      finish: async () => {
        done = true;
        await Promise.all(writers);
        return acknowledged;
      },
    };
  }

  /** Milliseconds until no process of the group is left (fails past `limitMs`). */
  async function timeUntilGone(pgid: number, limitMs: number): Promise<number> {
    const from = Date.now();
    await eventually(
      async () => ((await processesIn(pgid)).length === 0 ? true : undefined),
      'every process of the group to exit',
      limitMs,
    );
    return Date.now() - from;
  }

  async function restartAndCheck(ids: Set<string>) {
    const next = await startServiceProcess(build.dir, dataDir);
    started.push(next);
    for (const id of ids) expect((await next.call('GET', `/devices/${id}`)).status, id).toBe(200);
    return next;
  }

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'one %s stops every process within 10 s under load, and nothing acknowledged is lost',
    async (signal) => {
      const service = await startServiceProcess(build.dir, dataDir);
      started.push(service);
      const load = writeUnderLoad(service, signal.toLowerCase());
      await eventually(() => (load.acknowledged.size >= 40 ? true : undefined), 'writes', 60_000);
      const pgid = service.child.pid!;
      signalGroup(pgid, signal);
      const took = await timeUntilGone(pgid, 12_000);
      const acknowledged = await load.finish();
      expect(took).toBeLessThan(10_000);
      const next = await restartAndCheck(acknowledged);
      signalGroup(next.child.pid!, 'SIGTERM');
      await timeUntilGone(next.child.pid!, 12_000);
    },
    120_000,
  );

  it('a second Ctrl-C stops everything at once', async () => {
    const service = await startServiceProcess(build.dir, dataDir);
    started.push(service);
    const load = writeUnderLoad(service, 'twice');
    await eventually(() => (load.acknowledged.size >= 20 ? true : undefined), 'writes', 60_000);
    const pgid = service.child.pid!;
    signalGroup(pgid, 'SIGINT');
    // The first one is being handled (the host said so) when the second comes.
    await eventually(
      () => (service.output().includes('SIGINT: stopping') ? true : undefined),
      'the first SIGINT to be taken',
    );
    signalGroup(pgid, 'SIGINT');
    const took = await timeUntilGone(pgid, 12_000);
    const acknowledged = await load.finish();
    expect(took).toBeLessThan(3_000);
    // Forced, yet every acknowledged write was durable before it was acknowledged.
    await restartAndCheck(acknowledged);
  }, 120_000);
});
