import { request as httpsRequest } from 'node:https';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testContainer } from '../support/blobContainers';
import { api, uniqueId } from '../support/registryApi';
import { compiledBuild } from '../support/compiledBuild';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the iot-registry CLI, run as a binary against the embedded stack', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  beforeAll(async () => {
    build = await compiledBuild();
  }, 120_000);
  afterAll(() => build?.remove());

  const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<Run> => {
    const { httpUrl, serviceConnectionString } = inject('stack');
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(build.dir, 'cli/main.js'), ...args],
        {
          env: {
            PATH: process.env.PATH,
            IOTHUB_CONNECTION_STRING: serviceConnectionString,
            IOTHUB_REGISTRY_URL: httpUrl,
            ...env,
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  };
  const json = async (args: string[]) => {
    const r = await run([...args, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, any>;
  };

  it('creates, shows, lists, disables, enables and deletes devices and modules', async () => {
    const deviceId = uniqueId('cli');
    const created = await run(['device', 'create', '-d', deviceId, '--edge-enabled']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^deviceId\\s+status`, 'm'));
    expect(created.stdout).toContain(deviceId);

    const shown = await json(['device', 'show', '-d', deviceId]);
    expect(shown).toMatchObject({ deviceId, status: 'enabled', capabilities: { iotEdge: true } });
    const listed = await json(['device', 'list', '--edge-enabled']);
    expect((listed as unknown as { deviceId: string }[]).map((d) => d.deviceId)).toContain(
      deviceId,
    );

    expect(
      (await json(['device', 'disable', '-d', deviceId, '--status-reason', 'repair'])).status,
    ).toBe('disabled');
    expect((await api('GET', `/devices/${deviceId}`)).json.statusReason).toBe('repair');
    expect((await json(['device', 'enable', '-d', deviceId])).status).toBe('enabled');

    expect((await json(['module', 'create', '-d', deviceId, '-m', 'm1'])).moduleId).toBe('m1');
    expect(await json(['module', 'list', '-d', deviceId])).toHaveLength(1);
    expect((await run(['module', 'delete', '-d', deviceId, '-m', 'm1'])).code).toBe(0);

    // A device token the device endpoint accepts.
    const { sas } = await json(['sas', '-d', deviceId, '--duration', '600']);
    expect(sas).toMatch(/^SharedAccessSignature sr=localhost%2Fdevices%2F/);
    // Tokens name the connection string's host (localhost); devices reach it over HTTPS only.
    const { httpsPort, certificate } = inject('stack');
    const sent = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        `https://localhost:${httpsPort}/devices/${deviceId}/messages/events?api-version=2021-04-12`,
        { method: 'POST', ca: certificate, headers: { authorization: sas } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end('hello');
    });
    expect(sent).toBe(204);

    expect((await json(['liveness', 'show', '-d', deviceId])).deviceId).toBe(deviceId);
    expect(await json(['liveness', 'summary'])).toHaveProperty('counts');

    expect((await run(['device', 'delete', '-d', deviceId])).code).toBe(0);
    expect((await api('GET', `/devices/${deviceId}`)).status).toBe(404);
  });

  it('runs an export job with --wait, showing its progress', async () => {
    const deviceId = uniqueId('cliexp');
    expect((await run(['device', 'create', '-d', deviceId])).code).toBe(0);
    const out = await testContainer();
    const r = await run(['job', 'export', '--container', await out.sas(), '--wait', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[#+-*\]\s+100% completed/);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'export', status: 'completed' });
    expect(await out.text('devices.txt')).toContain(`"id":"${deviceId}"`);
  });

  it('exits with codes scripts can rely on, and says what to fix', async () => {
    const missing = await run(['device', 'show', '-d', uniqueId('missing')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^DeviceNotFound: Device '.*' is not registered/);

    const id = uniqueId('cli');
    await run(['device', 'create', '-d', id]);
    const twice = await run(['device', 'create', '-d', id]);
    expect(twice.code).toBe(4);
    expect(twice.stderr).toMatch(/DeviceAlreadyExists/);

    const noLogin = await run(['device', 'list'], { IOTHUB_CONNECTION_STRING: undefined });
    expect(noLogin.code).toBe(2);
    expect(noLogin.stderr).toMatch(/set IOTHUB_CONNECTION_STRING or pass --login/);

    const usage = await run(['device', 'create']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '-d, --device-id <id>'/);

    const unreachable = await run(['device', 'list'], {
      IOTHUB_REGISTRY_URL: 'http://127.0.0.1:1',
    });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(unreachable.stderr).not.toContain(
      inject('stack').serviceConnectionString.split('SharedAccessKey=')[1],
    );
  });
});
