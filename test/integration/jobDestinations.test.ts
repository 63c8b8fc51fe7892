import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';
import { eventually, testContainer, type TestContainer } from '../support/blobContainers';
import { startTestRuntime } from '../support/testRuntime';

describe('job containers are allow-listed', () => {
  // A listener on loopback, as an attacker's collector would be: it must never be reached.
  let listener: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it('refuses every other destination with a 400 naming the rule, and connects to none', async () => {
    const sas = '?sv=2020-08-04&sr=c&sp=rwl&sig=x';
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/steal${sas}`, /'127\.0\.0\.1' is not on the storage allow-list/],
      [`https://127.0.0.1:${port}/steal${sas}`, /not on the storage allow-list/],
      [`http://localhost:${port}/steal${sas}`, /'localhost' is not on the storage allow-list/],
      [`http://169.254.169.254/metadata/identity${sas}`, /'169\.254\.169\.254' is not on/],
      [`https://10.0.0.4/c${sas}`, /'10\.0\.0\.4' is not on/],
      [`https://[::1]:${port}/c${sas}`, /'::1' is not on/],
      [`https://storage.example.com/c${sas}`, /'storage\.example\.com' is not on/],
      [`http://acct.blob.core.windows.net/c${sas}`, /must use https, not http/],
      // On the list by its suffix, but a name that resolves to loopback (RFC 6761).
      [`https://x.blob.core.windows.net.localhost/c${sas}`, /not on the storage allow-list/],
    ];
    for (const [uri, message] of cases) {
      for (const body of [
        { type: 'export', outputBlobContainerUri: uri, excludeKeysInExport: false },
        { type: 'import', inputBlobContainerUri: uri, outputBlobContainerUri: uri },
      ]) {
        const reply = await api('POST', '/jobs/create', { body });
        expect(reply.status, `${body.type} ${uri}`).toBe(400);
        expect(errorCode(reply)).toBe('ArgumentInvalid');
        expect(reply.json.Message).toMatch(message);
        expect(reply.json.Message).toContain('is refused');
        expect(reply.json.Message).not.toContain('sig=x');
      }
    }
    expect(connections).toBe(0);
    // No job was stored for any of them.
    const jobs = (await api('GET', '/jobs')).json as { outputBlobContainerUri: string }[];
    expect(jobs.filter((j) => j.outputBlobContainerUri.includes(String(port)))).toEqual([]);
  });

  it("accepts the customers' storage on the allow-list", async () => {
    const out = await testContainer();
    const reply = await api('POST', '/jobs/create', {
      body: { type: 'export', outputBlobContainerUri: await out.sas(), excludeKeysInExport: true },
    });
    expect(reply.status, reply.text).toBe(200);
  });
});

describe("the service's own storage account", () => {
  const ended = (jobId: string, baseUrl?: string) =>
    eventually(async () => {
      const job = (await api('GET', `/jobs/${jobId}`, baseUrl ? { baseUrl } : {})).json;
      return ['completed', 'failed', 'cancelled'].includes(job.status)
        ? (job as Record<string, any>)
        : undefined;
    }, `job ${jobId} to end`);
  const blobsIn = async (container: TestContainer) => {
    const names: string[] = [];
    for await (const blob of container.client.listBlobsFlat()) names.push(blob.name);
    return names;
  };

  it('is open to jobs only in its job containers: any other gets a 400 at creation, and is never contacted', async () => {
    const jobContainer = await testContainer({ own: 'registry-jobs' });
    const jobSas = await jobContainer.sas();
    // The Event Hubs triggers' checkpoints of the local host, and containers like the host's.
    const targets = await Promise.all(
      ['azure-webjobs-eventhub', 'azure-webjobs-hosts', 'deployments', 'not-for-jobs'].map((own) =>
        testContainer({ own }),
      ),
    );
    const uris: [string, string][] = [];
    for (const target of targets)
      uris.push([await target.sas(), `container '${target.client.containerName}'`]);
    uris.push([
      jobSas.replace('/registry-jobs?', '/registry-jobs/../deployments?'),
      "container 'deployments'",
    ]);
    uris.push([jobSas.replace('/registry-jobs?', '/?'), 'no container']);
    for (const [uri, named] of uris)
      for (const body of [
        { type: 'export', outputBlobContainerUri: uri },
        { type: 'import', inputBlobContainerUri: jobSas, outputBlobContainerUri: uri },
        { type: 'import', inputBlobContainerUri: uri, outputBlobContainerUri: jobSas },
      ]) {
        const reply = await api('POST', '/jobs/create', { body });
        expect(reply.status, `${body.type} ${uri}`).toBe(400);
        expect(errorCode(reply)).toBe('ArgumentInvalid');
        expect(reply.json.Message).toMatch(
          new RegExp(
            `BlobContainerUri is refused: it names ${named} of the service's own storage account, where jobs may use only 'registry-jobs' \\(JOBS_OWN_ACCOUNT_CONTAINERS\\)`,
          ),
        );
        expect(reply.json.Message).not.toMatch(/sig=(?!REDACTED)/);
      }
    for (const target of targets.slice(1)) expect(await blobsIn(target)).toEqual([]);
    expect(await targets[0]!.text('devices.txt')).toBeNull();
    const jobs = (await api('GET', '/jobs')).json as { outputBlobContainerUri: string }[];
    expect(
      jobs.filter((j) => /azure-webjobs|deployments|not-for-jobs/.test(j.outputBlobContainerUri)),
    ).toEqual([]);
  });

  it('takes only plain blob names: a path out of the container gets a 400 naming the field', async () => {
    const jobContainer = await testContainer({ own: 'registry-jobs' });
    const jobSas = await jobContainer.sas();
    const before = (await api('GET', '/jobs')).json.length as number;
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { outputBlobName: '../deployments/released-package.zip' },
        /outputBlobName may not hold '\.' or '\.\.' path segments/,
      ],
      [
        { outputBlobName: 'a/../../azure-webjobs-hosts/x' },
        /outputBlobName may not hold '\.' or '\.\.'/,
      ],
      [{ outputBlobName: '/azure-webjobs-hosts/x' }, /outputBlobName may not start with '\/'/],
      [{ outputBlobName: '..\\deployments\\x' }, /outputBlobName may not hold a backslash/],
      [{ outputBlobName: 'log\r\nforged' }, /outputBlobName may not hold control characters/],
      [{ outputBlobName: 'x'.repeat(1025) }, /outputBlobName is longer than 1024 characters/],
      [
        { type: 'import', inputBlobContainerUri: jobSas, inputBlobName: '../deployments/x' },
        /inputBlobName may not hold '\.' or '\.\.'/,
      ],
    ];
    for (const [fields, message] of cases) {
      const reply = await api('POST', '/jobs/create', {
        body: { type: 'export', outputBlobContainerUri: jobSas, ...fields },
      });
      expect(reply.status, JSON.stringify(fields)).toBe(400);
      expect(errorCode(reply)).toBe('ArgumentInvalid');
      expect(reply.json.Message).toMatch(message);
    }
    expect(((await api('GET', '/jobs')).json as unknown[]).length).toBe(before);
  });

  it('accepts its job container, and the export lands there', async () => {
    const deviceId = uniqueId('ownexp');
    expect((await api('PUT', `/devices/${deviceId}`, { body: {} })).status).toBe(200);
    const jobContainer = await testContainer({ own: 'registry-jobs' });
    const name = `exports/${deviceId}.txt`;
    const created = await api('POST', '/jobs/create', {
      body: {
        type: 'export',
        outputBlobContainerUri: await jobContainer.sas(),
        outputBlobName: name,
      },
    });
    expect(created.status, created.text).toBe(200);
    expect((await ended(created.json.jobId)).status).toBe('completed');
    expect(await jobContainer.text(name)).toContain(`"id":"${deviceId}"`);
  });

  it('is checked again by the worker: a job stored while its container was allowed fails without touching it', async () => {
    const first = await startTestRuntime({ JOBS_OWN_ACCOUNT_CONTAINERS: 'registry-jobs,old-jobs' });
    const old = await testContainer({ own: 'old-jobs' });
    let jobId: string;
    try {
      const created = await api('POST', '/jobs/create', {
        baseUrl: first.url,
        body: { type: 'export', outputBlobContainerUri: await old.sas() },
      });
      expect(created.status, created.text).toBe(200);
      jobId = created.json.jobId;
    } finally {
      await first.stop();
    }
    // The same stores and queue, now configured without that container.
    const { JOBS_OWN_ACCOUNT_CONTAINERS: _dropped, ...settings } = first.settings;
    const second = await startTestRuntime(settings, { jobTrigger: true });
    try {
      const job = await ended(jobId, second.url);
      expect(job.status).toBe('failed');
      expect(job.failureReason).toMatch(
        /^outputBlobContainerUri is refused: it names container 'old-jobs' of the service's own storage account/,
      );
      expect(await blobsIn(old)).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
