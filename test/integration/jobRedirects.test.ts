import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

describe('a storage host that redirects', () => {
  // An allowed host that answers every request with a redirect to another path of its own.
  let listener: Server;
  let port = 0;
  const requests: string[] = [];
  let rt: TestRuntime;
  beforeAll(async () => {
    listener = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.writeHead(302, { location: `/elsewhere${request.url}` }).end();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    rt = await startTestRuntime(
      { JOBS_ALLOWED_STORAGE_HOSTS: `http://127.0.0.1:${port}` },
      { jobTrigger: true },
    );
  });
  afterAll(async () => {
    await rt?.stop();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  const failed = async (body: Record<string, unknown>) => {
    const created = await api('POST', '/jobs/create', { baseUrl: rt.url, body });
    expect(created.status, created.text).toBe(200);
    return eventually(async () => {
      const job = (await api('GET', `/jobs/${created.json.jobId}`, { baseUrl: rt.url })).json;
      return ['completed', 'failed', 'cancelled'].includes(job.status)
        ? (job as Record<string, any>)
        : undefined;
    }, 'the job to end');
  };

  it('fails the job at once with the redirect as its reason: not followed, not retried', async () => {
    const uri = `http://127.0.0.1:${port}/acct/exports?sv=2020-08-04&sr=c&sp=rwl&sig=secret`;
    const exported = await failed({ type: 'export', outputBlobContainerUri: uri });
    expect(exported.status).toBe('failed');
    expect(exported.failureReason).toBe(
      `The storage account of outputBlobContainerUri answered with a redirect (302 to 127.0.0.1:${port}), which a job never follows: give the container's own URI on its storage account`,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^PUT \/acct\/exports\/devices\.txt\?/);

    // A read (HEAD, then GET) is what the SDK would follow by default; the job does not.
    const errors = await testContainer();
    const imported = await failed({
      type: 'import',
      inputBlobContainerUri: uri,
      outputBlobContainerUri: await errors.sas(),
    });
    expect(imported.status).toBe('failed');
    expect(imported.failureReason).toMatch(
      /^The storage account of inputBlobContainerUri answered with a redirect \(302 to 127\.0\.0\.1:\d+\)/,
    );
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatch(/^HEAD \/acct\/exports\/devices\.txt\?/);
    expect(requests.filter((r) => r.includes('/elsewhere'))).toEqual([]);
  });
});
