import { afterEach, describe, expect, it } from 'vitest';
import type { JobBlobs } from '../../src/ports/JobBlobs';
import type { JobStore } from '../../src/ports/JobStore';
import { api, errorCode, type ApiReply } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const runtimes: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

async function runtime(...args: Parameters<typeof startTestRuntime>): Promise<TestRuntime> {
  const rt = await startTestRuntime(...args);
  runtimes.push(rt);
  return rt;
}

const exportTo = async (rt: TestRuntime, uri?: string): Promise<ApiReply> =>
  api('POST', '/jobs/create', {
    baseUrl: rt.url,
    body: { type: 'export', outputBlobContainerUri: uri ?? (await (await testContainer()).sas()) },
  });

const statusOf = async (rt: TestRuntime, jobId: string): Promise<string> =>
  (await api('GET', `/jobs/${jobId}`, { baseUrl: rt.url })).json.status as string;

const ended = (rt: TestRuntime, jobId: string) =>
  eventually(async () => {
    const status = await statusOf(rt, jobId);
    return ['completed', 'failed', 'cancelled'].includes(status) ? status : undefined;
  }, `job ${jobId} to end`);

const jobCount = async (rt: TestRuntime) =>
  ((await api('GET', '/jobs', { baseUrl: rt.url })).json as unknown[]).length;

function expectQuotaExceeded(reply: ApiReply, active = 1): void {
  // IoT Hub's answer: 403 with JobQuotaExceeded (azure-iothub raises TooManyDevicesError).
  expect(reply.status, reply.text).toBe(403);
  expect(errorCode(reply)).toBe('JobQuotaExceeded');
  expect(reply.json.Message).toMatch(
    active === 1
      ? /^ErrorCode:JobQuotaExceeded;Another import or export job is enqueued or running, and this hub runs 1 at a time \(JOBS_MAX_ACTIVE\)/
      : new RegExp(`${active} import or export jobs are enqueued or running`),
  );
}

describe('one active import or export job, as IoT Hub', () => {
  it('refuses another while one is enqueued or running; an ended job frees its place', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = await testContainer();
    const rt = await runtime(
      {},
      {
        jobTrigger: true,
        decorate: {
          // The first job's blocks wait at the gate: it stays running until the test lets go.
          jobBlobs: (blobs) =>
            Object.assign(Object.create(blobs) as JobBlobs, {
              writer: (uri: string, name: string, auth: 'keyBased' | 'identityBased') => {
                const writer = blobs.writer(uri, name, auth);
                return {
                  stageBlock: async (i: number, data: Buffer) => {
                    if (uri.includes(held.client.containerName)) await gate;
                    return writer.stageBlock(i, data);
                  },
                  commit: (n: number) => writer.commit(n),
                };
              },
            }),
        },
      },
    );
    expect((await api('PUT', '/devices/quota-1', { baseUrl: rt.url, body: {} })).status).toBe(200);
    const first = await exportTo(rt, await held.sas());
    expect(first.status, first.text).toBe(200);
    expectQuotaExceeded(await exportTo(rt)); // enqueued
    await eventually(
      async () => ((await statusOf(rt, first.json.jobId)) === 'running' ? true : undefined),
      'the first job to run',
    );
    expectQuotaExceeded(await exportTo(rt)); // running
    expect(await jobCount(rt)).toBe(1); // nothing stored for the refused ones

    release();
    expect(await ended(rt, first.json.jobId)).toBe('completed');
    // A failed job frees its place too.
    const missing = await testContainer({ create: false });
    const failing = await exportTo(rt, await missing.sas());
    expect(failing.status, failing.text).toBe(200);
    expect(await ended(rt, failing.json.jobId)).toBe('failed');
    // And a cancelled one.
    const next = await exportTo(rt);
    expect(next.status, next.text).toBe(200);
    const cancelled = await api('DELETE', `/jobs/${next.json.jobId}`, { baseUrl: rt.url });
    expect(cancelled.json.status).toBe('cancelled');
    const last = await exportTo(rt);
    expect(last.status, last.text).toBe(200);
    expect(await ended(rt, last.json.jobId)).toBe('completed');
  });

  it('accepts exactly JOBS_MAX_ACTIVE of many creates sent at once', async () => {
    // No worker: the accepted jobs stay enqueued, holding their places.
    for (const [rt, active] of [
      [await runtime(), 1],
      [await runtime({ JOBS_MAX_ACTIVE: '3' }), 3],
    ] as const) {
      const uri = await (await testContainer()).sas();
      const replies = await Promise.all(Array.from({ length: 12 }, () => exportTo(rt, uri)));
      const accepted = replies.filter((r) => r.status === 200);
      expect(accepted.length, replies.map((r) => r.status).join(',')).toBe(active);
      for (const r of replies.filter((x) => x.status !== 200)) expectQuotaExceeded(r, active);
      expect(await jobCount(rt)).toBe(active);
    }
  });

  it('frees a place whose release was lost, or whose job was never stored', async () => {
    let store: JobStore | undefined;
    const rt = await runtime(
      {},
      {
        decorate: {
          // Releases are lost, as when an instance dies right after ending a job.
          jobStore: (s) =>
            (store = Object.assign(Object.create(s) as JobStore, {
              releaseActive: () => Promise.resolve(),
            })),
        },
      },
    );
    const first = await exportTo(rt);
    expect(first.status, first.text).toBe(200);
    await api('DELETE', `/jobs/${first.json.jobId}`, { baseUrl: rt.url });
    // Its job has ended: the place is free although it was never released.
    const second = await exportTo(rt);
    expect(second.status, second.text).toBe(200);
    await api('DELETE', `/jobs/${second.json.jobId}`, { baseUrl: rt.url });

    // A creator that died between taking the place and storing its job.
    expect(await store!.reserveActive('never-stored', 1, rt.clock.now(), 60)).toBe(true);
    expectQuotaExceeded(await exportTo(rt));
    rt.clock.advance(61);
    const third = await exportTo(rt);
    expect(third.status, third.text).toBe(200);
  });
});
