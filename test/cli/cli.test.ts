import { request as httpsRequest } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sign } from '../../src/domain/auth/signatureMatches';
import { testContainer } from '../support/blobContainers';
import { api, uniqueId } from '../support/registryApi';
import { compiledBuild } from '../support/compiledBuild';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A device message over HTTPS, trusting the stack's certificate; resolves to the status. */
function sendDeviceMessage(deviceId: string, authorization: string): Promise<number | undefined> {
  const { httpsPort, certificate } = inject('stack');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `https://localhost:${httpsPort}/devices/${encodeURIComponent(deviceId)}/messages/events?api-version=2021-04-12`,
      { method: 'POST', ca: certificate, headers: { authorization } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', reject);
    req.end('hello');
  });
}

/** A device token signed with a key from a connection string, as the device SDK makes it. */
function tokenFromConnectionString(connectionString: string): string {
  const part = (name: string) =>
    new RegExp(`(?:^|;)${name}=([^;]+)`).exec(connectionString)?.[1] ?? '';
  const sr = encodeURIComponent(`${part('HostName')}/devices/${part('DeviceId')}`);
  const se = Math.floor(Date.now() / 1000) + 600;
  const sig = encodeURIComponent(sign(part('SharedAccessKey'), sr, se));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}`;
}

describe('the iot-registry CLI, run as a binary against the embedded stack', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  /** A folder of its own for each process: no `.data` or local.settings.json is picked up. */
  let work: string;
  beforeAll(async () => {
    build = await compiledBuild();
    work = await mkdtemp(join(tmpdir(), 'cli-test-'));
  }, 120_000);
  afterAll(async () => {
    await build?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A data folder as `npm start` leaves it, holding what `files` gives. */
  const dataDir = async (files: Record<string, string> = {}): Promise<string> => {
    const dir = await mkdtemp(join(work, 'data-'));
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return dir;
  };

  const runScript = (
    script: string,
    args: string[],
    env: Record<string, string | undefined> = {},
  ): Promise<Run> => {
    const { httpUrl, serviceConnectionString } = inject('stack');
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(build.dir, script), ...args],
        {
          cwd: work,
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
  const run = (args: string[], env: Record<string, string | undefined> = {}) =>
    runScript('cli/main.js', args, env);
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
    expect(await sendDeviceMessage(deviceId, sas)).toBe(204);

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

  it("prints exactly the API's JSON with --output json, and table-only columns in tables", async () => {
    const deviceId = uniqueId('clijson');
    expect((await run(['device', 'create', '-d', deviceId])).code).toBe(0);
    expect(await json(['device', 'show', '-d', deviceId])).toEqual(
      (await api('GET', `/devices/${deviceId}`)).json,
    );
    expect(await json(['twin', 'show', '-d', deviceId])).toEqual(
      (await api('GET', `/twins/${deviceId}`)).json,
    );
    const listed = (await json(['device', 'list'])) as unknown as Record<string, unknown>[];
    expect(listed.find((d) => d.deviceId === deviceId)).toEqual(
      (
        await api('POST', '/devices/query', {
          body: { query: `SELECT * FROM devices WHERE deviceId = '${deviceId}'` },
        })
      ).json[0],
    );
    const table = await run(['device', 'show', '-d', deviceId]);
    expect(table.stdout).toMatch(
      /^deviceId\s+status\s+connectionState\s+lastActivityTime\s+authType/,
    );
    expect(table.stdout).toMatch(
      new RegExp(`^${deviceId}\\s+enabled\\s+Disconnected\\s+\\S+\\s+sas`, 'm'),
    );
  });

  it('shows and updates device and module twins, with etags', async () => {
    const deviceId = uniqueId('clitwin');
    expect((await run(['device', 'create', '-d', deviceId])).code).toBe(0);
    expect((await run(['module', 'create', '-d', deviceId, '-m', 'm1'])).code).toBe(0);

    const updated = await json([
      'twin',
      'update',
      '-d',
      deviceId,
      '--tags',
      '{"site":"plant-1","owner":"ops"}',
      '--desired',
      '{"interval":30}',
    ]);
    const stored = (await api('GET', `/twins/${deviceId}`)).json;
    expect(stored).toMatchObject({
      tags: { site: 'plant-1', owner: 'ops' },
      properties: { desired: { interval: 30 } },
    });
    expect(updated).toEqual(stored);

    // A stale etag is refused and changes nothing; the current one applies (null deletes a key).
    const stale = await run([
      'twin',
      'update',
      '-d',
      deviceId,
      '--tags',
      '{"site":"x"}',
      '--etag',
      'AAAA',
    ]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/^PreconditionFailed: /);
    expect((await api('GET', `/twins/${deviceId}`)).json.tags.site).toBe('plant-1');
    await json([
      'twin',
      'update',
      '-d',
      deviceId,
      '--tags',
      '{"owner":null}',
      '--etag',
      stored.etag,
    ]);
    expect((await api('GET', `/twins/${deviceId}`)).json.tags).toEqual({ site: 'plant-1' });

    await json(['twin', 'update', '-d', deviceId, '-m', 'm1', '--desired', '{"mode":"eco"}']);
    const moduleTwin = (await api('GET', `/twins/${deviceId}/modules/m1`)).json;
    expect(moduleTwin.properties.desired.mode).toBe('eco');
    expect(await json(['twin', 'show', '-d', deviceId, '-m', 'm1'])).toEqual(moduleTwin);

    const shown = await run(['twin', 'show', '-d', deviceId]);
    expect(shown.stdout).toMatch(/^deviceId\s+moduleId\s+etag\s+version\s+tags\s+desired/);
    expect(shown.stdout).toContain('{"interval":30}');

    const nothing = await run(['twin', 'update', '-d', deviceId]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/Give --tags, --desired or both/);
    const notJson = await run(['twin', 'update', '-d', deviceId, '--tags', 'site=1']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/--tags must be a JSON object/);
  });

  it('queries twins, following continuation pages up to --top', async () => {
    const tag = uniqueId('q').replace(/-/g, '');
    const ids = Array.from({ length: 5 }, (_, i) => `${tag}-${i}`);
    for (const id of ids) {
      expect((await api('PUT', `/devices/${id}`, { body: { deviceId: id } })).status).toBe(200);
      expect(
        (
          await api('PATCH', `/twins/${id}`, {
            body: { tags: { run: tag } },
            headers: { 'if-match': '*' },
          })
        ).status,
      ).toBe(200);
    }
    const query = `SELECT * FROM devices WHERE tags.run = '${tag}'`;
    // Pages of 2 (the registry honours the size and says more is to come): --top 4 takes two
    // pages, no --top all three.
    const firstPage = await api('POST', '/devices/query', {
      body: { query },
      headers: { 'x-ms-max-item-count': '2' },
    });
    expect(firstPage.json).toHaveLength(2);
    expect(firstPage.headers.get('x-ms-continuation')).toBeTruthy();
    const four = (await json([
      'query',
      '-q',
      query,
      '--top',
      '4',
      '--page-size',
      '2',
    ])) as unknown as {
      deviceId: string;
    }[];
    expect(four).toHaveLength(4);
    expect(ids).toEqual(expect.arrayContaining(four.map((t) => t.deviceId)));
    const all = (await json(['query', '-q', query, '--page-size', '2'])) as unknown as {
      deviceId: string;
    }[];
    expect(all.map((t) => t.deviceId).sort()).toEqual(ids);

    expect(
      await json(['query', '-q', `SELECT COUNT() AS n FROM devices WHERE tags.run = '${tag}'`]),
    ).toEqual([{ n: 5 }]);
    const counted = await run([
      'query',
      '-q',
      `SELECT COUNT() AS n FROM devices WHERE tags.run = '${tag}'`,
    ]);
    expect(counted.stdout).toBe('n\n-\n5\n');

    const bad = await run(['query', '-q', 'SELECT * FROM nowhere']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/^BadRequest: /);
  });

  it("prints a device's and a module's connection string whose key works", async () => {
    const deviceId = uniqueId('clics');
    expect((await run(['device', 'create', '-d', deviceId])).code).toBe(0);
    expect((await run(['module', 'create', '-d', deviceId, '-m', 'm1'])).code).toBe(0);
    const identity = (await api('GET', `/devices/${deviceId}`)).json;

    const primary = (await run(['device', 'connection-string', '-d', deviceId])).stdout.trim();
    expect(primary).toBe(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${identity.authentication.symmetricKey.primaryKey}`,
    );
    expect(await sendDeviceMessage(deviceId, tokenFromConnectionString(primary))).toBe(204);
    const secondary = await json([
      'device',
      'connection-string',
      '-d',
      deviceId,
      '--key-type',
      'secondary',
    ]);
    expect(secondary.connectionString).toBe(
      `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${identity.authentication.symmetricKey.secondaryKey}`,
    );
    expect(
      await sendDeviceMessage(deviceId, tokenFromConnectionString(secondary.connectionString)),
    ).toBe(204);

    const moduleKey = (await api('GET', `/devices/${deviceId}/modules/m1`)).json.authentication
      .symmetricKey.primaryKey;
    expect((await run(['device', 'connection-string', '-d', deviceId, '-m', 'm1'])).stdout).toBe(
      `HostName=localhost;DeviceId=${deviceId};ModuleId=m1;SharedAccessKey=${moduleKey}\n`,
    );

    const x509 = uniqueId('clix509');
    const thumbprint = 'A'.repeat(40);
    expect(
      (await run(['device', 'create', '-d', x509, '--am', 'x509_thumbprint', '--ptp', thumbprint]))
        .code,
    ).toBe(0);
    expect((await run(['device', 'connection-string', '-d', x509])).stdout).toBe(
      `HostName=localhost;DeviceId=${x509};x509=true\n`,
    );
    expect((await run(['device', 'connection-string', '-d', uniqueId('nobody')])).code).toBe(3);
  });

  it("prints a policy's connection string and lists policies from a data folder, naming it", async () => {
    const { policies } = inject('stack');
    const dir = await dataDir({ 'policies.json': JSON.stringify(policies) });
    const file = join(dir, 'policies.json');

    const shown = await run([
      'policy',
      'connection-string',
      '--policy',
      'registryRead',
      '--data-dir',
      dir,
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain(file);
    const registryRead = policies.find((p) => p.keyName === 'registryRead')!;
    expect(shown.stdout).toBe(
      `HostName=localhost;SharedAccessKeyName=registryRead;SharedAccessKey=${registryRead.primaryKey}\n`,
    );
    // The printed connection string logs in; DATA_DIR works as --data-dir does.
    const listedWith = await run(['device', 'list', '--top', '1'], {
      IOTHUB_CONNECTION_STRING: shown.stdout.trim(),
    });
    expect(listedWith.code, listedWith.stderr).toBe(0);
    const secondary = await run(
      ['policy', 'connection-string', '--key-type', 'secondary', '-o', 'json'],
      {
        DATA_DIR: dir,
      },
    );
    expect(JSON.parse(secondary.stdout).connectionString).toBe(
      `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${policies.find((p) => p.keyName === 'iothubowner')!.secondaryKey}`,
    );

    const listed = await run(['policy', 'list', '--data-dir', dir, '-o', 'json']);
    expect(JSON.parse(listed.stdout)).toEqual(
      policies.map(({ keyName, rights }) => ({ keyName, rights })),
    );
    expect(listed.stdout).not.toContain(registryRead.primaryKey);

    const unknown = await run([
      'policy',
      'connection-string',
      '--policy',
      'nope',
      '--data-dir',
      dir,
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(
      `No policy 'nope' in ${file} (it has ${policies.map((p) => p.keyName).join(', ')})\n`,
    );
    const empty = await dataDir();
    const none = await run(['policy', 'list', '--data-dir', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      new RegExp(`^No policies at ${join(empty, 'policies.json')}: run \`npm start\` once`),
    );
  });

  it('treats empty settings as unset and names a setting that is not a URL', async () => {
    const { serviceConnectionString } = inject('stack');
    const emptyUrl = await run(['device', 'list'], {
      IOTHUB_REGISTRY_URL: '',
      IOTHUB_CONNECTION_STRING: serviceConnectionString.replace(
        'HostName=localhost',
        'HostName=127.0.0.1:1',
      ),
    });
    expect(emptyUrl.code).toBe(5);
    expect(emptyUrl.stderr).toMatch(/^Cannot reach https:\/\/127\.0\.0\.1:1 \(/);
    expect(emptyUrl.stderr).not.toMatch(/Invalid URL/);
    const emptyFlag = await run(['--url', '', 'device', 'list'], {
      IOTHUB_CONNECTION_STRING: serviceConnectionString.replace(
        'HostName=localhost',
        'HostName=127.0.0.1:1',
      ),
    });
    expect(emptyFlag.stderr).toMatch(/^Cannot reach https:\/\/127\.0\.0\.1:1 \(/);

    const notUrl = await run(['device', 'list'], { IOTHUB_REGISTRY_URL: 'localhost:7071' });
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toBe(
      "IOTHUB_REGISTRY_URL is not a URL: 'localhost:7071' (e.g. https://localhost:7443)\n",
    );
    const notUrlFlag = await run(['--url', 'nope', 'device', 'list']);
    expect(notUrlFlag.code).toBe(2);
    expect(notUrlFlag.stderr).toBe("--url is not a URL: 'nope' (e.g. https://localhost:7443)\n");

    const noLogin = await run(['device', 'list'], { IOTHUB_CONNECTION_STRING: '' });
    expect(noLogin.code).toBe(2);
    expect(noLogin.stderr).toMatch(/^No connection string: set IOTHUB_CONNECTION_STRING/);
  });

  it("trusts the local host's certificate from the data folder, and says how to trust it otherwise", async () => {
    const { httpsPort, certificate } = inject('stack');
    const deviceId = uniqueId('clitls');
    expect((await run(['device', 'create', '-d', deviceId])).code).toBe(0);
    const withCertificate = await dataDir({ 'tls/cert.pem': certificate });
    const without = await dataDir();

    for (const host of ['localhost', '127.0.0.1']) {
      const trusted = await run(['device', 'show', '-d', deviceId, '-o', 'json'], {
        IOTHUB_REGISTRY_URL: `https://${host}:${httpsPort}`,
        DATA_DIR: withCertificate,
      });
      expect(trusted.code, trusted.stderr).toBe(0);
      expect(JSON.parse(trusted.stdout).deviceId).toBe(deviceId);
    }

    const untrusted = await run(['device', 'show', '-d', deviceId, '--data-dir', without], {
      IOTHUB_REGISTRY_URL: `https://localhost:${httpsPort}`,
    });
    expect(untrusted.code).toBe(5);
    expect(untrusted.stderr).toContain(
      `Cannot reach https://localhost:${httpsPort} (self-signed certificate)`,
    );
    expect(untrusted.stderr).toContain(join(without, 'tls', 'cert.pem'));
    expect(untrusted.stderr).toContain('--ca <file>');
    expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS=<file>');

    // Both fixes the message names work.
    const certificateFile = join(withCertificate, 'tls', 'cert.pem');
    const viaCa = await run(
      ['device', 'show', '-d', deviceId, '--data-dir', without, '--ca', certificateFile],
      {
        IOTHUB_REGISTRY_URL: `https://localhost:${httpsPort}`,
      },
    );
    expect(viaCa.code, viaCa.stderr).toBe(0);
    const viaEnvironment = await run(['device', 'show', '-d', deviceId, '--data-dir', without], {
      IOTHUB_REGISTRY_URL: `https://localhost:${httpsPort}`,
      NODE_EXTRA_CA_CERTS: certificateFile,
    });
    expect(viaEnvironment.code, viaEnvironment.stderr).toBe(0);

    const missingCa = await run([
      'device',
      'show',
      '-d',
      deviceId,
      '--ca',
      join(without, 'no.pem'),
    ]);
    expect(missingCa.code).toBe(2);
    expect(missingCa.stderr).toBe(`Cannot read --ca ${join(without, 'no.pem')} (ENOENT)\n`);
  });

  it('`npm run sas` names the policies file it looked for, and its tokens work', async () => {
    const empty = await dataDir();
    const none = await runScript('local/sasTokenCli.js', [], { DATA_DIR: empty });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      new RegExp(
        `^sas: No policies at ${join(empty, 'policies.json')}: run \`npm start\` once .* set DATA_DIR`,
      ),
    );

    const dir = await dataDir({ 'policies.json': JSON.stringify(inject('stack').policies) });
    const made = await runScript('local/sasTokenCli.js', ['registryRead', '--ttl', '600'], {
      DATA_DIR: dir,
    });
    expect(made.code, made.stderr).toBe(0);
    const listed = await api('GET', '/devices', { auth: made.stdout.trim() });
    expect(listed.status).toBe(200);

    const help = await runScript('local/sasTokenCli.js', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Prints an Authorization header value/);
  });
});
