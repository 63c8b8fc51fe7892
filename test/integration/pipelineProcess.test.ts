import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/blobContainers';
import { compiledBuild } from '../support/compiledBuild';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

/** `LOCAL_PIPELINE=process`: the relay and the consumers in a process of their own. */
describe('npm start with LOCAL_PIPELINE=process', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let dataDir: string;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    build = await compiledBuild();
    dataDir = await mkdtemp(join(tmpdir(), 'pipeline-'));
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await build.remove();
  });

  it('relays what the host commits into the liveness map, and stops whole', async () => {
    service = await startServiceProcess(build.dir, dataDir, { LOCAL_PIPELINE: 'process' });
    const ids = ['pipe-1', 'pipe-2', 'pipe-3'];
    for (const id of ids)
      expect((await service.call('PUT', `/devices/${id}`, {})).status).toBe(200);
    const mapped = await eventually(async () => {
      const entries = (await service!.call('GET', '/liveness?top=1000')).json as {
        deviceId: string;
      }[];
      const seen = new Set(entries.map((e) => e.deviceId));
      return ids.every((id) => seen.has(id)) ? seen : undefined;
    }, 'the notifications in the liveness map');
    expect([...mapped].sort()).toEqual(expect.arrayContaining(ids));
    const stopping = Date.now();
    await service.stop();
    service = undefined;
    expect(Date.now() - stopping).toBeLessThan(15_000);
  }, 120_000);
});
