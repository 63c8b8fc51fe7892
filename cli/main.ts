#!/usr/bin/env node
/**
 * `npx iot-registry …`: the registry from a terminal, shaped like `az iot hub device-identity`
 * where they overlap. Reads the connection string from IOTHUB_CONNECTION_STRING (or --login)
 * and the registry's URL from IOTHUB_REGISTRY_URL (or --url; default https://<HostName>).
 * Tables for people, `--output json` for scripts. Exit codes: 0 done, 2 usage or configuration,
 * 3 not found, 4 refused by the registry (bad input, etag, permission), 5 unreachable or failed.
 */
import { Command, CommanderError, Option } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { table, progressBar } from './format';
import {
  CliError,
  EXIT,
  RegistryClient,
  deviceToken,
  parseConnectionString,
  policyToken,
} from './RegistryClient';

type Json = Record<string, unknown>;
/** Command options: strings and flags, as commander hands them over. */
type Opts = Record<string, string | boolean | undefined>;
const out = (line: string) => process.stdout.write(`${line}\n`);
const program = new Command('iot-registry')
  .description('Manage the identity registry and watch device liveness')
  .addOption(
    new Option('--login <connectionString>', 'service connection string').env(
      'IOTHUB_CONNECTION_STRING',
    ),
  )
  .addOption(new Option('--url <url>', "the registry's base URL").env('IOTHUB_REGISTRY_URL'))
  .addOption(
    new Option('-o, --output <format>', 'output format')
      .choices(['table', 'json'])
      .default('table'),
  )
  .exitOverride()
  .showHelpAfterError();

const globals = () => program.opts<{ login?: string; url?: string; output: 'table' | 'json' }>();
const connection = () => parseConnectionString(globals().login, globals().url);
const client = () => new RegistryClient(connection());
const enc = encodeURIComponent;

function print(value: unknown, columns: string[]): void {
  if (globals().output === 'json') {
    out(JSON.stringify(value, null, 2));
    return;
  }
  const rows = (Array.isArray(value) ? value : [value]) as Json[];
  out(table(rows, columns));
}

const DEVICE_COLUMNS = [
  'deviceId',
  'status',
  'connectionState',
  'lastActivityTime',
  'authType',
  'edge',
];
const deviceRow = (d: Json) => ({
  ...d,
  authType: (d.authentication as Json | undefined)?.type,
  edge: (d.capabilities as Json | undefined)?.iotEdge,
});

// ---------------------------------------------------------------------------------------------
const device = program
  .command('device')
  .description('device identities (az iot hub device-identity)');

device
  .command('create')
  .requiredOption('-d, --device-id <id>')
  .option('--ee, --edge-enabled', 'an IoT Edge device')
  .addOption(new Option('--sta, --status <status>').choices(['enabled', 'disabled']))
  .option('--star, --status-reason <reason>')
  .option(
    '--am, --auth-method <method>',
    'shared_private_key | x509_thumbprint | x509_ca',
    'shared_private_key',
  )
  .option('--ptp, --primary-thumbprint <thumbprint>')
  .option('--stp, --secondary-thumbprint <thumbprint>')
  .action(async (o: Opts) => {
    const type = {
      shared_private_key: 'sas',
      x509_thumbprint: 'selfSigned',
      x509_ca: 'certificateAuthority',
    }[String(o.authMethod)];
    if (!type)
      throw new CliError(
        `--auth-method must be shared_private_key, x509_thumbprint or x509_ca`,
        EXIT.usage,
      );
    const body = {
      deviceId: o.deviceId,
      ...(o.status ? { status: o.status } : {}),
      ...(o.statusReason ? { statusReason: o.statusReason } : {}),
      ...(o.edgeEnabled ? { capabilities: { iotEdge: true } } : {}),
      authentication: {
        type,
        ...(type === 'selfSigned'
          ? {
              x509Thumbprint: {
                primaryThumbprint: o.primaryThumbprint ?? null,
                secondaryThumbprint: o.secondaryThumbprint ?? null,
              },
            }
          : {}),
      },
    };
    print(
      deviceRow(await client().call<Json>('PUT', `/devices/${enc(String(o.deviceId))}`, body)),
      DEVICE_COLUMNS,
    );
  });

device
  .command('show')
  .requiredOption('-d, --device-id <id>')
  .action(async (o: Opts) =>
    print(
      deviceRow(await client().call<Json>('GET', `/devices/${enc(String(o.deviceId))}`)),
      DEVICE_COLUMNS,
    ),
  );

device
  .command('list')
  .option('--top <n>', 'at most this many', '1000')
  .option('--ee, --edge-enabled', 'only IoT Edge devices')
  .action(async (o: Opts) => {
    const top = Number(o.top);
    if (!Number.isInteger(top) || top < 1)
      throw new CliError('--top must be a positive whole number', EXIT.usage);
    // As the Azure CLI does: a query, paged until enough.
    const query = `SELECT * FROM devices${o.edgeEnabled ? ' WHERE capabilities.iotEdge = true' : ''}`;
    const twins: Json[] = [];
    const registry = client();
    let token: string | undefined;
    do {
      const page = await registry.exchange<Json[]>(
        'POST',
        '/devices/query',
        { query },
        {
          'x-ms-max-item-count': String(Math.min(1000, top - twins.length)),
          ...(token ? { 'x-ms-continuation': token } : {}),
        },
      );
      twins.push(...page.body);
      token = page.headers.get('x-ms-continuation') ?? undefined;
    } while (token && twins.length < top);
    print(
      twins.map((t) => ({
        ...t,
        authType: t.authenticationType,
        edge: (t.capabilities as Json | undefined)?.iotEdge,
      })),
      DEVICE_COLUMNS,
    );
  });

async function updateDevice(id: string, change: Json): Promise<void> {
  const c = client();
  const current = await c.call<Json>('GET', `/devices/${enc(id)}`);
  const updated = await c.call<Json>(
    'PUT',
    `/devices/${enc(id)}`,
    { ...current, ...change },
    {
      'if-match': `"${String(current.etag)}"`,
    },
  );
  print(deviceRow(updated), DEVICE_COLUMNS);
}

device
  .command('update')
  .requiredOption('-d, --device-id <id>')
  .addOption(new Option('--sta, --status <status>').choices(['enabled', 'disabled']))
  .option('--star, --status-reason <reason>')
  .action((o: Opts) =>
    updateDevice(String(o.deviceId), {
      ...(o.status ? { status: o.status } : {}),
      ...(o.statusReason !== undefined ? { statusReason: o.statusReason } : {}),
    }),
  );
for (const [verb, status] of [
  ['disable', 'disabled'],
  ['enable', 'enabled'],
] as const)
  device
    .command(verb)
    .requiredOption('-d, --device-id <id>')
    .option('--star, --status-reason <reason>')
    .action((o: Opts) =>
      updateDevice(String(o.deviceId), {
        status,
        ...(o.statusReason ? { statusReason: o.statusReason } : {}),
      }),
    );

device
  .command('delete')
  .requiredOption('-d, --device-id <id>')
  .option('--etag <etag>', 'delete only if unchanged since this etag')
  .action(async (o: Opts) => {
    await client().call('DELETE', `/devices/${enc(String(o.deviceId))}`, undefined, {
      'if-match': o.etag ? `"${String(o.etag)}"` : '*',
    });
    if (globals().output === 'json') out(JSON.stringify({ deleted: o.deviceId }));
    else out(`Deleted ${String(o.deviceId)}`);
  });

// ---------------------------------------------------------------------------------------------
const modules = program
  .command('module')
  .description('module identities (az iot hub module-identity)');
const MODULE_COLUMNS = ['deviceId', 'moduleId', 'managedBy', 'connectionState', 'lastActivityTime'];
modules
  .command('create')
  .requiredOption('-d, --device-id <id>')
  .requiredOption('-m, --module-id <id>')
  .action(async (o: Opts) =>
    print(
      await client().call(
        'PUT',
        `/devices/${enc(String(o.deviceId))}/modules/${enc(String(o.moduleId))}`,
        {},
      ),
      MODULE_COLUMNS,
    ),
  );
modules
  .command('show')
  .requiredOption('-d, --device-id <id>')
  .requiredOption('-m, --module-id <id>')
  .action(async (o: Opts) =>
    print(
      await client().call(
        'GET',
        `/devices/${enc(String(o.deviceId))}/modules/${enc(String(o.moduleId))}`,
      ),
      MODULE_COLUMNS,
    ),
  );
modules
  .command('list')
  .requiredOption('-d, --device-id <id>')
  .action(async (o: Opts) =>
    print(
      await client().call('GET', `/devices/${enc(String(o.deviceId))}/modules`),
      MODULE_COLUMNS,
    ),
  );
modules
  .command('delete')
  .requiredOption('-d, --device-id <id>')
  .requiredOption('-m, --module-id <id>')
  .action(async (o: Opts) => {
    await client().call(
      'DELETE',
      `/devices/${enc(String(o.deviceId))}/modules/${enc(String(o.moduleId))}`,
      undefined,
      {
        'if-match': '*',
      },
    );
    out(
      globals().output === 'json'
        ? JSON.stringify({ deleted: o.moduleId })
        : `Deleted ${String(o.moduleId)}`,
    );
  });

// ---------------------------------------------------------------------------------------------
program
  .command('sas')
  .description('a SAS token: for a device or module (signed with its key), or for the policy')
  .option('-d, --device-id <id>')
  .option('-m, --module-id <id>')
  .option('--du, --duration <seconds>', 'valid for', '3600')
  .action(async (o: Opts) => {
    const seconds = Number(o.duration);
    if (!Number.isInteger(seconds) || seconds < 1)
      throw new CliError('--duration must be a positive whole number of seconds', EXIT.usage);
    const c = connection();
    let token: string;
    if (!o.deviceId) token = policyToken(c, seconds);
    else {
      const path = `/devices/${enc(String(o.deviceId))}${o.moduleId ? `/modules/${enc(String(o.moduleId))}` : ''}`;
      const identity = await client().call<{
        authentication: { symmetricKey: { primaryKey: string | null } };
      }>('GET', path);
      const key = identity.authentication.symmetricKey.primaryKey;
      if (!key)
        throw new CliError(
          'This identity has no symmetric key (it authenticates with a certificate)',
          EXIT.refused,
        );
      token = deviceToken(`${c.hostName}${path}`, key, seconds);
    }
    out(globals().output === 'json' ? JSON.stringify({ sas: token }) : token);
  });

// ---------------------------------------------------------------------------------------------
const job = program.command('job').description('import and export jobs');
const JOB_COLUMNS = ['jobId', 'type', 'status', 'progress', 'failureReason'];

async function startJob(body: Json, wait: boolean): Promise<void> {
  const c = client();
  let current = await c.call<Json>('POST', '/jobs/create', body);
  if (wait) {
    const tty = process.stderr.isTTY;
    while (!['completed', 'failed', 'cancelled'].includes(String(current.status))) {
      process.stderr.write(
        `${tty ? '\r' : ''}${progressBar(Number(current.progress))} ${String(current.status)}${tty ? '' : '\n'}`,
      );
      await delay(500);
      current = await c.call<Json>('GET', `/jobs/${enc(String(current.jobId))}`);
    }
    process.stderr.write(
      `${tty ? '\r' : ''}${progressBar(Number(current.progress))} ${String(current.status)}\n`,
    );
  }
  print(current, JOB_COLUMNS);
  if (wait && current.status !== 'completed') process.exitCode = EXIT.refused;
}

job
  .command('export')
  .requiredOption('--container <sasUri>', 'the output container (SAS URI)')
  .option('--exclude-keys', 'leave keys out of the file')
  .option('--wait', 'wait for the job to end, showing its progress')
  .action((o: Opts) =>
    startJob(
      { type: 'export', outputBlobContainerUri: o.container, excludeKeysInExport: !!o.excludeKeys },
      !!o.wait,
    ),
  );
job
  .command('import')
  .requiredOption('--input <sasUri>', 'the container holding devices.txt (SAS URI)')
  .requiredOption('--output <sasUri>', 'the container for importErrors.log (SAS URI)')
  .option('--wait', 'wait for the job to end, showing its progress')
  .action((o: Opts) =>
    startJob(
      { type: 'import', inputBlobContainerUri: o.input, outputBlobContainerUri: o.output },
      !!o.wait,
    ),
  );
job
  .command('show')
  .requiredOption('--job-id <id>')
  .action(async (o: Opts) =>
    print(await client().call('GET', `/jobs/${enc(String(o.jobId))}`), JOB_COLUMNS),
  );
job.command('list').action(async () => print(await client().call('GET', '/jobs'), JOB_COLUMNS));

// ---------------------------------------------------------------------------------------------
const liveness = program.command('liveness').description('the last-seen map');
const LIVENESS_COLUMNS = [
  'deviceId',
  'moduleId',
  'state',
  'stateSince',
  'lastSeen',
  'intervalSeconds',
];
liveness.command('summary').action(async () => {
  const s = await client().call<{
    counts: Json;
    current: boolean;
    pipelineLagSeconds: number | null;
  }>('GET', '/liveness/summary');
  print(
    globals().output === 'json'
      ? s
      : { ...s.counts, current: s.current, lagSeconds: s.pipelineLagSeconds },
    ['online', 'silent', 'neverSeen', 'current', 'lagSeconds'],
  );
});
liveness
  .command('silent')
  .option('--top <n>', 'at most this many', '100')
  .action(async (o: Opts) =>
    print(
      await client().call('GET', `/liveness?state=silent&top=${enc(String(o.top))}`),
      LIVENESS_COLUMNS,
    ),
  );
liveness
  .command('show')
  .requiredOption('-d, --device-id <id>')
  .option('-m, --module-id <id>')
  .action(async (o: Opts) =>
    print(
      await client().call(
        'GET',
        `/devices/${enc(String(o.deviceId))}${o.moduleId ? `/modules/${enc(String(o.moduleId))}` : ''}/liveness`,
      ),
      LIVENESS_COLUMNS,
    ),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version end well; every other parsing failure is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  process.stderr.write(
    `${error instanceof CliError ? error.message : `Unexpected failure: ${String(error)}`}\n`,
  );
  process.exitCode = error instanceof CliError ? error.exitCode : EXIT.unavailable;
});
