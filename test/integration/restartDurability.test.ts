import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/blobContainers';
import { compiledBuild } from '../support/compiledBuild';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

describe('the embedded stack killed with SIGKILL mid-write', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let dataDir: string;
  const services: ServiceProcess[] = [];
  beforeAll(async () => {
    build = await compiledBuild();
    dataDir = await mkdtemp(join(tmpdir(), 'registry-restart-'));
  }, 120_000);
  afterAll(async () => {
    for (const s of services) await s.kill();
    await build.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged identity with its etag, and what is there is whole', async () => {
    // Where the time goes, in the output of a failed run.
    const started = Date.now();
    const phase = (name: string) =>
      console.info(`restartDurability: ${name} at ${Date.now() - started} ms`);
    const first = await startServiceProcess(build.dir, dataDir);
    services.push(first);
    const acknowledged = new Map<string, string>();
    let killed = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        const id = `rs-${w}-${i}`;
        try {
          const device = await first.call('PUT', `/devices/${id}`, {});
          if (device.status !== 200) continue;
          acknowledged.set(`/devices/${id}`, device.json.etag);
          const module = await first.call('PUT', `/devices/${id}/modules/m`, {});
          if (module.status === 200) acknowledged.set(`/devices/${id}/modules/m`, module.json.etag);
        } catch {
          // The connection died with the process.
        }
      }
    });
    await eventually(() => (acknowledged.size >= 150 ? true : undefined), 'writes', 60_000);
    phase(`${acknowledged.size} writes acknowledged`);
    await first.kill();
    killed = true;
    await Promise.all(writers);
    phase('killed');

    const second = await startServiceProcess(build.dir, dataDir);
    services.push(second);
    phase('restarted');
    for (const [path, etag] of acknowledged) {
      const read = await second.call('GET', path);
      expect(read.status, path).toBe(200);
      expect(read.json.etag, path).toBe(etag);
    }
    // An etag a client held before the crash still works for a conditional write.
    const [path, etag] = [...acknowledged].find(([p]) => !p.includes('/modules/'))!;
    const updated = await second.call(
      'PUT',
      path,
      { deviceId: path.split('/')[2], status: 'disabled' },
      {
        'If-Match': `"${etag}"`,
      },
    );
    expect(updated.status).toBe(200);
    // Nothing half done: every device listed is whole, and the count agrees with the list.
    const listed = (await second.call('GET', '/devices?top=1000')).json as { deviceId: string }[];
    const stats = (await second.call('GET', '/statistics/devices')).json;
    expect(stats.totalDeviceCount).toBe(listed.length);
    expect(listed.length).toBeGreaterThanOrEqual(
      [...acknowledged.keys()].filter((p) => !p.includes('/modules/')).length,
    );

    phase('registry checked');
    // The liveness map follows the registry: an entry for every identity, none for others.
    const identities = new Set<string>();
    for (const d of listed) {
      identities.add(d.deviceId);
      for (const m of (await second.call('GET', `/devices/${d.deviceId}/modules`)).json as {
        moduleId: string;
      }[])
        identities.add(`${d.deviceId}/${m.moduleId}`);
    }
    const expected = [...identities].sort();
    let last: string[] = [];
    const mapped = await eventually(
      async () => {
        const entries = (await second.call('GET', '/liveness?top=1000')).json as {
          deviceId: string;
          moduleId: string | null;
        }[];
        const keys = entries
          .map((e) => (e.moduleId ? `${e.deviceId}/${e.moduleId}` : e.deviceId))
          .sort();
        last = keys;
        return JSON.stringify(keys) === JSON.stringify(expected) ? keys : undefined;
      },
      'the liveness map to match the registry',
      60_000,
    ).catch(() => last);
    expect(mapped).toEqual(expected);
    phase('liveness checked');
    await second.stop();
    phase('stopped');
  }, 300_000);
});
