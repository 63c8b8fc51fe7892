import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, serviceToken, type ApiReply } from '../support/registryApi';
import { eventually, testContainer } from '../support/blobContainers';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

async function finished(rt: TestRuntime, jobId: string) {
  return eventually(async () => {
    const reply = await api('GET', `/jobs/${jobId}`, { baseUrl: rt.url });
    expect(reply.status).toBe(200);
    return ['completed', 'failed', 'cancelled'].includes(reply.json.status)
      ? reply.json
      : undefined;
  }, `job ${jobId} to end`);
}

const lines = (text: string | null) =>
  (text ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('import and export jobs', () => {
  let source: TestRuntime;
  let target: TestRuntime;
  beforeAll(async () => {
    // Small pages and chunks, so that every test crosses page and chunk boundaries.
    const settings = {
      JOBS_EXPORT_PAGE_SIZE: '10',
      JOBS_IMPORT_CHUNK_LINES: '7',
      // An account that is allowed but cannot be reached (the own Azurite is allowed anyway).
      JOBS_ALLOWED_STORAGE_HOSTS: 'http://127.0.0.1:1',
    };
    [source, target] = await Promise.all([
      startTestRuntime(settings, { jobTrigger: true }),
      startTestRuntime(settings, { jobTrigger: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  const put = async (rt: TestRuntime, path: string, body: unknown): Promise<void> => {
    const reply = await api('PUT', path, { baseUrl: rt.url, body });
    expect(reply.status, reply.text).toBe(200);
  };

  it('exports devices with their modules and imports them into an empty registry unchanged', async () => {
    const ids = Array.from({ length: 37 }, (_, i) => `rt-${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) {
      await put(source, `/devices/${encodeURIComponent(id)}`, {
        status: i % 5 === 0 ? 'disabled' : 'enabled',
        statusReason: i % 5 === 0 ? `reason ${i}` : null,
        ...(i === 3
          ? {
              authentication: {
                type: 'selfSigned',
                x509Thumbprint: { primaryThumbprint: 'A'.repeat(40), secondaryThumbprint: null },
              },
            }
          : i === 4
            ? { authentication: { symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } } }
            : {}),
      });
      if (i % 4 === 1)
        for (const m of ['edge#agent', 'm2'])
          await put(source, `/devices/${id}/modules/${encodeURIComponent(m)}`, { managedBy: 'x' });
      if (i % 3 === 0) {
        const twin = await api('PATCH', `/twins/${id}`, {
          baseUrl: source.url,
          body: { tags: { site: `s${i % 2}`, n: i }, properties: { desired: { rate: i } } },
        });
        expect(twin.status, twin.text).toBe(200);
      }
    }
    const moduleTwin = await api('PATCH', `/twins/rt-001/modules/m2`, {
      baseUrl: source.url,
      body: { tags: { role: 'sensor' } },
    });
    expect(moduleTwin.status, moduleTwin.text).toBe(200);
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: source.url,
      body: {
        type: 'export',
        outputBlobContainerUri: await out.sas('rwc'),
        excludeKeysInExport: false,
      },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ type: 'export', status: 'enqueued', progress: 0 });
    expect(created.json.outputBlobContainerUri).toContain('sig=REDACTED');
    const job = await finished(source, created.json.jobId);
    expect(job).toMatchObject({ status: 'completed', progress: 100, failureReason: null });
    expect(Date.parse(job.endTimeUtc)).toBeGreaterThanOrEqual(Date.parse(job.startTimeUtc));

    const exported = lines(await out.text('devices.txt'));
    const keys = exported.map((l) => (l.moduleId ? `${l.id}/${l.moduleId}` : l.id));
    const expected = ids.flatMap((id, i) =>
      i % 4 === 1 ? [id, `${id}/edge#agent`, `${id}/m2`] : [id],
    );
    expect(keys).toEqual(expected); // each once, devices in ID order, a device before its modules
    const device4 = exported.find((l) => l.id === 'rt-004' && !l.moduleId);
    expect(device4?.authentication.symmetricKey).toEqual({
      primaryKey: KEY_A,
      secondaryKey: KEY_B,
    });

    const errors = await testContainer();
    const imported = await api('POST', '/jobs/create', {
      baseUrl: target.url,
      body: {
        type: 'import',
        inputBlobContainerUri: await out.sas('rl'),
        outputBlobContainerUri: await errors.sas('rwc'),
      },
    });
    expect(imported.status, imported.text).toBe(200);
    expect((await finished(target, imported.json.jobId)).status).toBe('completed');
    expect(await errors.text('importErrors.log')).toBe('');

    const strip = ({ etag: _e, generationId: _g, statusUpdatedTime: _s, ...rest }: any) => rest;
    for (const id of ids) {
      const a = await api('GET', `/devices/${id}`, { baseUrl: source.url });
      const b = await api('GET', `/devices/${id}`, { baseUrl: target.url });
      expect(b.status).toBe(200);
      expect(strip(b.json)).toEqual(strip(a.json));
      const ma = await api('GET', `/devices/${id}/modules`, { baseUrl: source.url });
      const mb = await api('GET', `/devices/${id}/modules`, { baseUrl: target.url });
      const byId = (list: any[]) =>
        list
          .map((m) => ({ moduleId: m.moduleId, managedBy: m.managedBy, auth: m.authentication }))
          .sort((x, y) => (x.moduleId < y.moduleId ? -1 : 1));
      expect(byId(mb.json)).toEqual(byId(ma.json));
      // Tags and desired properties travel with the identities.
      const values = (twin: any) => {
        const { $metadata: _m, $version: _v, ...desired } = twin.properties.desired;
        return { tags: twin.tags, desired };
      };
      const ta = await api('GET', `/twins/${id}`, { baseUrl: source.url });
      const tb = await api('GET', `/twins/${id}`, { baseUrl: target.url });
      expect(values(tb.json)).toEqual(values(ta.json));
    }
    const mt = await api('GET', `/twins/rt-001/modules/m2`, { baseUrl: target.url });
    expect(mt.json.tags).toEqual({ role: 'sensor' });
    expect(
      (await api('GET', `/twins/rt-003`, { baseUrl: target.url })).json.properties.desired.rate,
    ).toBe(3);
    const stats = await api('GET', '/statistics/devices', { baseUrl: target.url });
    expect(stats.json).toEqual({
      totalDeviceCount: 37,
      enabledDeviceCount: 29,
      disabledDeviceCount: 8,
    });
  });

  it('leaves keys out when asked', async () => {
    await put(source, '/devices/nokeys-1', {});
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: source.url,
      body: {
        type: 'export',
        outputBlobContainerUri: await out.sas('wc'),
        excludeKeysInExport: true,
      },
    });
    expect((await finished(source, created.json.jobId)).status).toBe('completed');
    const all = lines(await out.text('devices.txt'));
    expect(all.length).toBeGreaterThan(0);
    for (const l of all)
      expect(l.authentication.symmetricKey).toEqual({ primaryKey: null, secondaryKey: null });
  });

  it('imports what it can and logs each bad line once, with its number', async () => {
    await put(target, '/devices/imp-existing', {});
    const input = await testContainer();
    const text = [
      JSON.stringify({ id: 'imp-1' }),
      'not json at all',
      JSON.stringify({ id: 'imp-2', importMode: 'CREATE', status: 'disabled' }),
      '',
      JSON.stringify({ id: 'imp-3', colour: 'blue' }),
      JSON.stringify({ id: 'bad#id' }),
      JSON.stringify({ id: 'imp-missing', importMode: 'update' }),
      JSON.stringify({ id: 'imp-existing', importMode: 'create' }),
      JSON.stringify({ id: 'imp-long', statusReason: 'x'.repeat(70_000) }),
      JSON.stringify({ id: 'imp-1', moduleId: 'mod', importMode: 'create' }),
      JSON.stringify({ id: 'imp-existing', importMode: 'delete' }),
      JSON.stringify({ id: 'imp-4', importMode: 'updateIfMatchETag' }),
      '[1,2]',
      JSON.stringify({ id: 'imp-5' }),
    ].join('\r\n');
    await input.upload('devices.txt', text); // no final newline, CRLF endings
    const out = await testContainer();
    const created = await api('POST', '/jobs/create', {
      baseUrl: target.url,
      body: {
        type: 'import',
        inputBlobContainerUri: await input.sas('r'),
        outputBlobContainerUri: await out.sas('wc'),
        outputBlobName: 'errors/log.txt',
      },
    });
    expect(created.status, created.text).toBe(200);
    expect((await finished(target, created.json.jobId)).status).toBe('completed');
    const errors = lines(await out.text('errors/log.txt'));
    expect(errors.map((e) => [e.line, e.errorCode])).toEqual([
      [2, 'IotHubFormatError'],
      [5, 'ArgumentInvalid'],
      [6, 'ArgumentInvalid'],
      [7, 'DeviceNotFound'],
      [8, 'DeviceAlreadyExists'],
      [9, 'ArgumentInvalid'],
      [12, 'ArgumentInvalid'],
      [13, 'ArgumentInvalid'],
    ]);
    for (const e of errors) expect(typeof e.errorStatus).toBe('string');
    for (const id of ['imp-1', 'imp-2', 'imp-5'])
      expect((await api('GET', `/devices/${id}`, { baseUrl: target.url })).status).toBe(200);
    expect((await api('GET', '/devices/imp-2', { baseUrl: target.url })).json.status).toBe(
      'disabled',
    );
    expect((await api('GET', '/devices/imp-1/modules/mod', { baseUrl: target.url })).status).toBe(
      200,
    );
    expect((await api('GET', '/devices/imp-existing', { baseUrl: target.url })).status).toBe(404);
    expect((await api('GET', '/devices/imp-3', { baseUrl: target.url })).status).toBe(404);
  });

  describe('fails a job whose container it cannot use, saying what to fix', () => {
    const failure = async (body: Record<string, unknown>) => {
      const created = await api('POST', '/jobs/create', { baseUrl: source.url, body });
      expect(created.status, created.text).toBe(200);
      const job = await finished(source, created.json.jobId);
      expect(job.status).toBe('failed');
      expect(job.failureReason).not.toMatch(/sig=(?!REDACTED)/);
      return job.failureReason as string;
    };

    it('a container that does not exist', async () => {
      const missing = await testContainer({ create: false });
      expect(
        await failure({ type: 'export', outputBlobContainerUri: await missing.sas() }),
      ).toMatch(/container of outputBlobContainerUri does not exist/);
    });
    it('a SAS without write permission', async () => {
      const out = await testContainer();
      expect(
        await failure({ type: 'export', outputBlobContainerUri: await out.sas('rl') }),
      ).toMatch(/SAS of outputBlobContainerUri does not allow this job to write/);
    });
    it('an expired SAS', async () => {
      const out = await testContainer();
      expect(
        await failure({ type: 'export', outputBlobContainerUri: await out.sas('rwc', -60) }),
      ).toMatch(/SAS of outputBlobContainerUri/);
    });
    it('a missing input blob', async () => {
      const input = await testContainer();
      const out = await testContainer();
      expect(
        await failure({
          type: 'import',
          inputBlobContainerUri: await input.sas('rl'),
          outputBlobContainerUri: await out.sas('wc'),
        }),
      ).toMatch(/no blob 'devices.txt' in the container of inputBlobContainerUri/);
    });
    it('an account that cannot be reached', async () => {
      expect(
        await failure({
          type: 'export',
          outputBlobContainerUri: 'http://127.0.0.1:1/devstoreaccount1/c?sv=2020-01-01&sig=abc',
        }),
      ).toMatch(/could not be reached/);
    });
  });

  it('refuses malformed job requests with 400s that say what to fix', async () => {
    const out = await testContainer();
    const uri = await out.sas();
    const cases: [unknown, RegExp][] = [
      [{}, /type/],
      [{ type: 'reboot', outputBlobContainerUri: uri }, /type 'reboot' is not one of/],
      [{ type: 'export' }, /outputBlobContainerUri is required/],
      [{ type: 'import', outputBlobContainerUri: uri }, /inputBlobContainerUri is required/],
      [{ type: 'export', outputBlobContainerUri: 'not a uri' }, /not an http\(s\) URI/],
      [{ type: 'export', outputBlobContainerUri: 'https://a.example/c' }, /no SAS/],
      [
        { type: 'export', outputBlobContainerUri: uri, storageAuthenticationType: 'identityBased' },
        /identityBased needs the app's managed identity/,
      ],
      [
        { type: 'export', outputBlobContainerUri: uri, excludeKeysInExport: 'maybe' },
        /excludeKeysInExport/,
      ],
      [
        { type: 'export', outputBlobContainerUri: uri, outputBlobName: '' },
        /outputBlobName is empty/,
      ],
      [{ type: 'export', outputBlobContainerUri: uri, extra: 1 }, /unknown field 'extra'/],
    ];
    for (const [body, message] of cases) {
      const reply: ApiReply = await api('POST', '/jobs/create', { baseUrl: source.url, body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(reply)).toBe('ArgumentInvalid');
      expect(reply.json.Message).toMatch(message);
      expect(reply.json.Message).not.toContain('sig=');
    }
    const notJson = await api('POST', '/jobs/create', { baseUrl: source.url, body: '{' });
    expect(notJson.status).toBe(400);
    const missing = await api('GET', '/jobs/no-such-job', { baseUrl: source.url });
    expect(missing.status).toBe(404);
    expect(errorCode(missing)).toBe('JobNotFound');
    expect((await api('DELETE', '/jobs/no-such-job', { baseUrl: source.url })).status).toBe(404);
    for (const odd of ['a%2Fb', 'a%23b%3Fc', 'x'.repeat(300), '%E2%9C%93'])
      expect((await api('GET', `/jobs/${odd}`, { baseUrl: source.url })).status).toBe(404);
    const readOnly = await api('POST', '/jobs/create', {
      baseUrl: source.url,
      auth: serviceToken('registryRead'),
      body: { type: 'export', outputBlobContainerUri: uri },
    });
    expect(readOnly.status).toBe(401);
    const listed = await api('GET', '/jobs', {
      baseUrl: source.url,
      auth: serviceToken('registryRead'),
    });
    expect(listed.status).toBe(200);
    expect(listed.json.length).toBeGreaterThan(0);
    for (const j of listed.json) expect(JSON.stringify(j)).not.toMatch(/sig=(?!REDACTED)/);
  });
});
