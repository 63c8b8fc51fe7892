import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardLines, waitForExit } from '../../standins/childProcesses';
import { eventually } from '../support/blobContainers';
import { compiledBuild, ROOT } from '../support/compiledBuild';
import { FREE_PORTS } from '../support/freePorts';
import { createNetworkNamespace, type NetworkNamespace } from '../support/networkNamespace';

/** The code blocks of a package's README, as npm installed it: Microsoft's published samples. */
async function readmeSamples(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, 'node_modules', file), 'utf8');
  return [...text.matchAll(/```js\r?\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/**
 * Microsoft's samples, exactly as the SDK packages publish them (their README code), run against
 * `npm start` with HTTPS on 443 and only the connection string filled in, as the Quick start
 * says. The service runs in a network namespace of its own, where 127.0.0.1:443 is free.
 */
describe("Microsoft's samples, unchanged, against npm start on port 443", () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let ns: NetworkNamespace;
  let dataDir: string;
  let samplesDir: string;
  let service: ChildProcess;
  const output: string[] = [];
  let serviceConnectionString = '';
  let caFile = '';

  beforeAll(async () => {
    build = await compiledBuild();
    ns = await createNetworkNamespace();
    dataDir = await mkdtemp(join(tmpdir(), 'registry-samples-'));
    // Inside node_modules, so the samples' require('azure-iothub') finds the installed SDK.
    samplesDir = join(ROOT, 'node_modules', '.cache', `samples-${randomUUID()}`);
    await mkdir(samplesDir, { recursive: true });
    service = ns.spawn(process.execPath, [join(build.dir, 'local', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...FREE_PORTS,
        // Its own network namespace: 443 is free there, whatever the machine runs.
        HTTPS_PORT: '443',
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    forwardLines(service.stdout, (l) => output.push(l));
    forwardLines(service.stderr, (l) => output.push(l));
    // What npm start prints for the samples is what the test uses.
    await eventually(
      () => (output.some((l) => l.startsWith('Press Ctrl-C')) ? true : undefined),
      'npm start to print its endpoints',
      90_000,
    );
    caFile = /export NODE_EXTRA_CA_CERTS=(\S+)/.exec(output.join('\n'))?.[1] ?? '';
    serviceConnectionString =
      /export IOTHUB_CONNECTION_STRING='([^']+)'/.exec(output.join('\n'))?.[1] ?? '';
  }, 180_000);
  afterAll(async () => {
    if (service) {
      const gone = waitForExit(service);
      service.kill('SIGTERM');
      await gone;
    }
    await ns?.remove();
    await build?.remove();
    await rm(samplesDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const sampleEnv = () => ({ PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caFile });
  /** The CLI, inside the namespace, as the same user would check what the samples did. */
  const cli = async (args: string[]) => {
    const r = await ns.run(
      process.execPath,
      [join(build.dir, 'cli', 'main.js'), ...args, '-o', 'json'],
      {
        env: { ...sampleEnv(), IOTHUB_CONNECTION_STRING: serviceConnectionString },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };

  it('prints what the samples need: the certificate to trust and a connection string for port 443', () => {
    expect(caFile).toBe(join(dataDir, 'tls', 'cert.pem'));
    expect(serviceConnectionString).toMatch(
      /^HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=/,
    );
  });

  it("runs azure-iothub's registry sample: the device it creates is in the registry", async () => {
    const [sample] = await readmeSamples('azure-iothub/README.md');
    expect(sample).toContain("'[IoT Connection String]'");
    const file = join(samplesDir, 'service.js');
    await writeFile(
      file,
      sample!.replace("'[IoT Connection String]'", JSON.stringify(serviceConnectionString)),
    );
    const r = await ns.run(process.execPath, [file], { env: sampleEnv(), cwd: samplesDir });
    // The published snippet's callback logs with a variable `op` it never defines, so it ends
    // with a ReferenceError once the create has answered (against IoT Hub too): that is the only
    // failure allowed, never one of the SDK's.
    expect(r.stderr).not.toMatch(
      /ENOTFOUND|ECONNREFUSED|certificate|UnauthorizedError|ArgumentError/,
    );
    if (r.code !== 0) expect(r.stderr).toContain('ReferenceError: op is not defined');
    const devices = (await cli(['device', 'list'])) as { deviceId: string }[];
    expect(devices.some((d) => /^sample-device-\d+$/.test(d.deviceId))).toBe(true);
  }, 60_000);

  it("runs azure-iot-device-http's device sample: its message reaches the liveness map", async () => {
    const created = (await cli(['device', 'create', '-d', 'http-sample'])) as {
      authentication: { symmetricKey: { primaryKey: string } };
    };
    const deviceConnectionString = `HostName=localhost;DeviceId=http-sample;SharedAccessKey=${created.authentication.symmetricKey.primaryKey}`;
    const blocks = await readmeSamples('azure-iot-device-http/readme.md');
    const code = blocks.join('\n');
    expect(code).toContain("'[IoT Hub device connection string]'");
    const file = join(samplesDir, 'device.js');
    await writeFile(
      file,
      code.replace("'[IoT Hub device connection string]'", JSON.stringify(deviceConnectionString)),
    );
    // The sample keeps polling for cloud-to-device messages: it runs until stopped.
    const sample = ns.spawn(process.execPath, [file], {
      env: sampleEnv(),
      cwd: samplesDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed: string[] = [];
    forwardLines(sample.stdout, (l) => printed.push(l));
    forwardLines(sample.stderr, (l) => printed.push(l));
    const exited = waitForExit(sample);
    try {
      await eventually(
        async () => {
          const live = (await cli(['liveness', 'show', '-d', 'http-sample'])) as { state?: string };
          return live.state === 'online' ? true : undefined;
        },
        'the sample device online in the liveness map',
        60_000,
      );
      expect(printed).toContain('Client connected');
      // Polling for cloud-to-device messages (an empty queue here) is no error either.
      expect(printed.join('\n')).not.toMatch(/Could not connect|Error/);
      expect(sample.exitCode).toBeNull();
    } finally {
      sample.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
