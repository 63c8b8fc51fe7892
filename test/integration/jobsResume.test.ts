import { afterEach, describe, expect, it } from 'vitest';
import type { JobDraft } from '../../src/domain/jobs/RegistryJob';
import type { JobBlobs } from '../../src/ports/JobBlobs';
import type { JobStore } from '../../src/ports/JobStore';
import { api } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const SETTINGS = {
  JOBS_EXPORT_PAGE_SIZE: '10',
  JOBS_IMPORT_CHUNK_LINES: '7',
  JOBS_LEASE_SECONDS: '5',
  JOBS_VISIBILITY_SECONDS: '2',
};
/** Past the dying worker's lease, on the controlled clock of the worker that takes over. */
const LATER = '2026-01-01T00:10:00.000Z';

const runtimes: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

async function ended(rt: TestRuntime, jobId: string) {
  return eventually(
    async () => {
      const reply = await api('GET', `/jobs/${jobId}`, { baseUrl: rt.url });
      return ['completed', 'failed', 'cancelled'].includes(reply.json.status)
        ? (reply.json as Record<string, any>)
        : undefined;
    },
    `job ${jobId} to end`,
    30_000,
  );
}

/**
 * A JobStore whose worker "dies" at the first checkpoint `when` picks: its queue trigger stops
 * renewing and deleting, and the write never happens nor returns, as with a killed process.
 */
function dyingStore(when: (draft: JobDraft) => boolean, die: () => void) {
  let dead = false;
  return (store: JobStore): JobStore =>
    Object.assign(Object.create(store) as JobStore, {
      replace: (draft: JobDraft, etag: string) => {
        if (!dead && when(draft)) {
          dead = true;
          die();
          return new Promise<never>(() => {});
        }
        return store.replace(draft, etag);
      },
    });
}

/**
 * A runtime whose worker dies at the first checkpoint `when` picks (its trigger stops dead), and
 * a promise that tells the test when it happened.
 */
async function doomedRuntime(when: (draft: JobDraft) => boolean) {
  let died: () => void = () => {};
  const death = new Promise<void>((resolve) => (died = resolve));
  let rt: TestRuntime | undefined = undefined;
  rt = await startTestRuntime(SETTINGS, {
    jobTrigger: true,
    decorate: {
      jobStore: dyingStore(when, () => {
        rt?.jobTrigger?.abandon();
        died();
      }),
    },
  });
  runtimes.push(rt);
  return { first: rt, died: death };
}

async function createDevices(rt: TestRuntime, count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  for (const [i, id] of ids.entries()) {
    expect((await api('PUT', `/devices/${id}`, { baseUrl: rt.url, body: {} })).status).toBe(200);
    if (i % 3 === 0)
      expect(
        (await api('PUT', `/devices/${id}/modules/m`, { baseUrl: rt.url, body: {} })).status,
      ).toBe(200);
  }
  return ids;
}

describe('a job whose worker dies resumes and completes once', () => {
  it('export: every identity exactly once in devices.txt', async () => {
    // Dies after staging its third block, before the checkpoint that records it.
    const { first, died } = await doomedRuntime(
      (d) => d.checkpoint.blocks === 3 && d.status === 'running',
    );
    const ids = await createDevices(first, 45, 'exp');
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: first.url,
      body: { type: 'export', outputBlobContainerUri: await out.sas('rwc') },
    });
    const jobId = created.json.jobId as string;
    await died;
    const running = await api('GET', `/jobs/${jobId}`, { baseUrl: first.url });
    expect(running.json.status).toBe('running');
    expect(await out.text('devices.txt')).toBeNull();

    const second = await startTestRuntime(first.settings, { jobTrigger: true, clockStart: LATER });
    runtimes.push(second);
    const job = await ended(second, jobId);
    expect(job.status).toBe('completed');
    const keys = (await out.text('devices.txt'))!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; moduleId?: string })
      .map((l) => (l.moduleId ? `${l.id}/${l.moduleId}` : l.id));
    expect(keys).toEqual(ids.flatMap((id, i) => (i % 3 === 0 ? [id, `${id}/m`] : [id])));
  });

  it('import: every line applied exactly once, no line logged twice or wrongly', async () => {
    // Dies after applying lines 15-21, before the checkpoint that records them.
    const { first, died } = await doomedRuntime(
      (d) => d.checkpoint.line === 21 && d.checkpoint.inFlight === null,
    );
    // 'create' lines fail if applied twice; line 18 fails on its own, once.
    const lines = Array.from({ length: 40 }, (_, i) =>
      i === 17 ? '{"id": broken' : JSON.stringify({ id: `imp-${i + 1}`, importMode: 'create' }),
    );
    const input = await testContainer();
    await input.upload('devices.txt', `${lines.join('\n')}\n`);
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: first.url,
      body: {
        type: 'import',
        inputBlobContainerUri: await input.sas('r'),
        outputBlobContainerUri: await out.sas('wc'),
      },
    });
    const jobId = created.json.jobId as string;
    await died;
    // The lines of the dying chunk were applied, but not recorded.
    expect((await api('GET', '/devices/imp-21', { baseUrl: first.url })).status).toBe(200);
    expect((await api('GET', '/devices/imp-22', { baseUrl: first.url })).status).toBe(404);

    const second = await startTestRuntime(first.settings, { jobTrigger: true, clockStart: LATER });
    runtimes.push(second);
    expect((await ended(second, jobId)).status).toBe('completed');
    const errors = (await out.text('importErrors.log'))!.trim().split('\n');
    expect(errors.map((l) => JSON.parse(l) as { line: number; errorCode: string })).toEqual([
      expect.objectContaining({ line: 18, errorCode: 'IotHubFormatError' }),
    ]);
    const stats = await api('GET', '/statistics/devices', { baseUrl: second.url });
    expect(stats.json.totalDeviceCount).toBe(39);
  });
});

describe('concurrency and cancel', () => {
  it('runs at most JOBS_MAX_CONCURRENT jobs, and a cancel stops a running job at once', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = '';
    const running = new Set<string>();
    let most = 0;
    const rt = await startTestRuntime(
      // Two jobs active at once (IoT Hub allows one), so that one waits for a run slot.
      { ...SETTINGS, JOBS_MAX_CONCURRENT: '1', JOBS_MAX_ACTIVE: '2' },
      {
        jobTrigger: true,
        decorate: {
          // Every write of a job's status is seen here: count the jobs running at once.
          jobStore: (store) =>
            Object.assign(Object.create(store) as JobStore, {
              replace: async (draft: JobDraft, etag: string) => {
                const saved = await store.replace(draft, etag);
                if (saved.status === 'running') running.add(saved.jobId);
                else running.delete(saved.jobId);
                most = Math.max(most, running.size);
                return saved;
              },
            }),
          // The first job's blocks wait at the gate.
          jobBlobs: (blobs) =>
            Object.assign(Object.create(blobs) as JobBlobs, {
              writer: (uri: string, name: string, auth: 'keyBased' | 'identityBased') => {
                const writer = blobs.writer(uri, name, auth);
                return {
                  stageBlock: async (i: number, data: Buffer) => {
                    if (gated && uri.includes(gated)) await gate;
                    return writer.stageBlock(i, data);
                  },
                  commit: (n: number) => writer.commit(n),
                };
              },
            }),
        },
      },
    );
    runtimes.push(rt);
    await createDevices(rt, 25, 'cc');
    const [outA, outB] = await Promise.all([testContainer(), testContainer()]);
    gated = outA.client.containerName;
    const a = await api('POST', '/jobs/create', {
      baseUrl: rt.url,
      body: { type: 'export', outputBlobContainerUri: await outA.sas('wc') },
    });
    await eventually(async () => {
      const s = (await api('GET', `/jobs/${a.json.jobId}`, { baseUrl: rt.url })).json.status;
      return s === 'running' ? s : undefined;
    }, 'job A to run');
    const b = await api('POST', '/jobs/create', {
      baseUrl: rt.url,
      body: { type: 'export', outputBlobContainerUri: await outB.sas('wc') },
    });
    const cancelled = await api('DELETE', `/jobs/${a.json.jobId}`, { baseUrl: rt.url });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    release();
    expect((await ended(rt, b.json.jobId)).status).toBe('completed');
    expect((await ended(rt, a.json.jobId)).status).toBe('cancelled');
    expect(most).toBe(1);
    expect(await outA.text('devices.txt')).toBeNull();
    expect(await outB.text('devices.txt')).not.toBeNull();
    // Cancelling an ended job changes nothing.
    const again = await api('DELETE', `/jobs/${b.json.jobId}`, { baseUrl: rt.url });
    expect(again.json.status).toBe('completed');
  });
});
