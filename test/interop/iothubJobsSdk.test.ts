import { describe, expect, it } from 'vitest';
import { eventually, testContainer } from '../support/blobContainers';
import { uniqueId } from '../support/registryApi';
import { sdkRegistry } from '../support/sdkRegistry';

type Job = {
  jobId: string;
  type: string;
  status: string;
  progress: number;
  failureReason: string | null;
};

describe("the official azure-iothub Registry's job calls", () => {
  const registry = sdkRegistry();
  const ended = (jobId: string) =>
    eventually(async () => {
      const job = (await registry.getJob(jobId)) as Job;
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    }, `job ${jobId} to end`);

  it('exports to a blob, imports from one, gets, lists and cancels jobs', async () => {
    const deviceId = uniqueId('sdk-export');
    await registry.create({ deviceId });
    const out = await testContainer();
    const exportJob = (await registry.exportDevicesToBlob(await out.sas('rwc'), false)) as Job;
    expect(exportJob).toMatchObject({ type: 'export', status: 'enqueued' });
    expect(await ended(exportJob.jobId)).toMatchObject({ status: 'completed', progress: 100 });
    const exported = (await out.text('devices.txt'))!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(exported.filter((l) => l.id === deviceId)).toHaveLength(1);

    const input = await testContainer();
    const imported = [uniqueId('sdk-import'), uniqueId('sdk-import')];
    await input.upload('devices.txt', imported.map((id) => JSON.stringify({ id })).join('\n'));
    const errors = await testContainer();
    const importJob = (await registry.importDevicesFromBlob(
      await input.sas('rl'),
      await errors.sas('rwc'),
    )) as Job;
    expect(await ended(importJob.jobId)).toMatchObject({ status: 'completed' });
    for (const id of imported) expect((await registry.get(id)).responseBody.deviceId).toBe(id);

    const { responseBody: jobs } = await registry.listJobs();
    const ids = (jobs as Job[]).map((j) => j.jobId);
    expect(ids).toEqual(expect.arrayContaining([exportJob.jobId, importJob.jobId]));
    // Cancelling an ended job leaves it as it was.
    expect(((await registry.cancelJob(importJob.jobId)) as Job).status).toBe('completed');
  });

  it('reports a job the hub does not have as the SDK expects', async () => {
    const error = await registry.getJob('no-such-job').then(
      () => undefined,
      (e: Error & { responseBody?: string; response?: { statusCode?: number } }) => e,
    );
    // The SDK has no error class for it: a plain 'Not found' with the hub's body attached.
    expect(error?.message).toBe('Not found');
    expect(error?.response?.statusCode).toBe(404);
    expect(error?.responseBody).toMatch(/ErrorCode:JobNotFound/);
  });
});
