import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForExit } from '../../standins/childProcesses';
import { api } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';
import { compiledBuild, ROOT } from '../support/compiledBuild';

describe('a job worker process killed with SIGKILL mid-job', () => {
  const runtimes: TestRuntime[] = [];
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  beforeAll(async () => {
    build = await compiledBuild();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(runtimes.map((rt) => rt.stop()));
    await build.remove();
  });

  it('leaves a job that another worker completes once, every identity exactly once', async () => {
    const settings = {
      JOBS_EXPORT_PAGE_SIZE: '10',
      JOBS_LEASE_SECONDS: '2',
      JOBS_VISIBILITY_SECONDS: '2',
    };
    // The API, without a worker of its own: the worker is the child process.
    const api1 = await startTestRuntime(settings);
    runtimes.push(api1);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = `kill-${String(i).padStart(3, '0')}`;
      ids.push(id);
      expect((await api('PUT', `/devices/${id}`, { baseUrl: api1.url, body: {} })).status).toBe(
        200,
      );
    }
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: api1.url,
      body: { type: 'export', outputBlobContainerUri: await out.sas('rwc') },
    });
    const jobId = created.json.jobId as string;

    const worker = spawn(process.execPath, [join(build.dir, 'local', 'jobWorkerMain.js')], {
      cwd: ROOT,
      env: { ...process.env, ...api1.settings },
      stdio: 'ignore',
    });
    const exited = waitForExit(worker);
    const progress = await eventually(
      async () => {
        const job = (await api('GET', `/jobs/${jobId}`, { baseUrl: api1.url })).json;
        return job.status === 'running' && job.progress >= 10
          ? (job.progress as number)
          : undefined;
      },
      'the worker to be part-way through',
      30_000,
    );
    worker.kill('SIGKILL');
    await exited;
    const left = (await api('GET', `/jobs/${jobId}`, { baseUrl: api1.url })).json;
    expect(left.status).toBe('running');
    expect(left.progress).toBeGreaterThanOrEqual(progress);
    expect(left.progress).toBeLessThan(100);
    expect(await out.text('devices.txt')).toBeNull();

    // A new worker, on the same stores and queue, whose clock is past the dead one's lease.
    const api2 = await startTestRuntime(api1.settings, {
      jobTrigger: true,
      clockStart: new Date(Date.now() + 60_000).toISOString(),
    });
    runtimes.push(api2);
    const ended = await eventually(
      async () => {
        const job = (await api('GET', `/jobs/${jobId}`, { baseUrl: api2.url })).json;
        return job.status === 'running' || job.status === 'enqueued' ? undefined : job;
      },
      'the job to end',
      30_000,
    );
    expect(ended.status).toBe('completed');
    const exported = (await out.text('devices.txt'))!
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(exported).toEqual(ids);
  });
});
