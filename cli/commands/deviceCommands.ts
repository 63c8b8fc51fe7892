import { Option, type Command } from 'commander';
import { CliError, EXIT } from '../CliError';
import type { CliContext, Json, Opts } from '../CliContext';
import { identityConnectionString, type KeyType } from '../connectionStrings';
import { identityPath } from '../identityPath';
import { positiveInteger } from '../positiveInteger';
import { queryPages } from '../queryPages';

const DEVICE_COLUMNS = [
  'deviceId',
  'status',
  'connectionState',
  'lastActivityTime',
  'authType',
  'edge',
];
/** Table-only columns: the API has no `authType` or `edge` fields. */
const deviceRow = (d: Json) => ({
  ...d,
  authType: (d.authentication as Json | undefined)?.type,
  edge: (d.capabilities as Json | undefined)?.iotEdge,
});
const twinRow = (t: Json) => ({
  ...t,
  authType: t.authenticationType,
  edge: (t.capabilities as Json | undefined)?.iotEdge,
});
const AUTH_TYPES: Record<string, string> = {
  shared_private_key: 'sas',
  x509_thumbprint: 'selfSigned',
  x509_ca: 'certificateAuthority',
};

/** `device …`: device identities, as `az iot hub device-identity`. */
export function deviceCommands(program: Command, cli: CliContext): void {
  const device = program
    .command('device')
    .description('device identities (az iot hub device-identity)');
  const deviceId = () => new Option('-d, --device-id <id>', 'the device ID').makeOptionMandatory();
  const statusReason = () =>
    new Option('--star, --status-reason <reason>', 'why (up to 128 characters)');

  device
    .command('create')
    .description('register a device; keys are generated unless it uses certificates')
    .addOption(deviceId())
    .option('--ee, --edge-enabled', 'an IoT Edge device')
    .addOption(
      new Option('--sta, --status <status>', 'enabled (default) or disabled').choices([
        'enabled',
        'disabled',
      ]),
    )
    .addOption(statusReason())
    .option(
      '--am, --auth-method <method>',
      'shared_private_key | x509_thumbprint | x509_ca',
      'shared_private_key',
    )
    .option('--ptp, --primary-thumbprint <thumbprint>', 'SHA-1 or SHA-256 hex (x509_thumbprint)')
    .option('--stp, --secondary-thumbprint <thumbprint>', 'SHA-1 or SHA-256 hex (x509_thumbprint)')
    .action(async (o: Opts) => {
      const type = AUTH_TYPES[String(o.authMethod)];
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
      cli.print(
        await cli.client().call<Json>('PUT', identityPath('/devices', String(o.deviceId)), body),
        DEVICE_COLUMNS,
        deviceRow,
      );
    });

  device
    .command('show')
    .description('show a device identity, keys included')
    .addOption(deviceId())
    .action(async (o: Opts) =>
      cli.print(
        await cli.client().call<Json>('GET', identityPath('/devices', String(o.deviceId))),
        DEVICE_COLUMNS,
        deviceRow,
      ),
    );

  device
    .command('list')
    .description("list devices' twins (a query, paged, as az does)")
    .option('--top <n>', 'at most this many', positiveInteger(), 1000)
    .option('--ee, --edge-enabled', 'only IoT Edge devices')
    .action(async (o: { top: number; edgeEnabled?: boolean }) => {
      const query = `SELECT * FROM devices${o.edgeEnabled ? ' WHERE capabilities.iotEdge = true' : ''}`;
      const { items } = await queryPages(cli.client(), query, { top: o.top });
      cli.print(items, DEVICE_COLUMNS, twinRow);
    });

  const update = async (id: string, change: Json): Promise<void> => {
    const c = cli.client();
    const current = await c.call<Json>('GET', identityPath('/devices', id));
    const updated = await c.call<Json>(
      'PUT',
      identityPath('/devices', id),
      { ...current, ...change },
      { 'if-match': `"${String(current.etag)}"` },
    );
    cli.print(updated, DEVICE_COLUMNS, deviceRow);
  };

  device
    .command('update')
    .description("change a device's status or status reason (keys stay)")
    .addOption(deviceId())
    .addOption(
      new Option('--sta, --status <status>', 'enabled or disabled').choices([
        'enabled',
        'disabled',
      ]),
    )
    .addOption(statusReason())
    .action((o: Opts) =>
      update(String(o.deviceId), {
        ...(o.status ? { status: o.status } : {}),
        ...(o.statusReason !== undefined ? { statusReason: o.statusReason } : {}),
      }),
    );
  for (const [verb, status, what] of [
    ['disable', 'disabled', 'refuse its messages and tokens'],
    ['enable', 'enabled', 'accept its messages again'],
  ] as const)
    device
      .command(verb)
      .description(`${verb} a device: ${what}`)
      .addOption(deviceId())
      .addOption(statusReason())
      .action((o: Opts) =>
        update(String(o.deviceId), {
          status,
          ...(o.statusReason ? { statusReason: o.statusReason } : {}),
        }),
      );

  device
    .command('delete')
    .description('delete a device with its modules and twin')
    .addOption(deviceId())
    .option('--etag <etag>', 'delete only if unchanged since this etag')
    .action(async (o: Opts) => {
      await cli.client().call('DELETE', identityPath('/devices', String(o.deviceId)), undefined, {
        'if-match': o.etag ? `"${String(o.etag)}"` : '*',
      });
      cli.out(
        cli.output() === 'json'
          ? JSON.stringify({ deleted: o.deviceId })
          : `Deleted ${String(o.deviceId)}`,
      );
    });

  device
    .command('connection-string')
    .description(
      "print a device's or module's connection string (az iot hub device-identity connection-string show)",
    )
    .addOption(deviceId())
    .option('-m, --module-id <id>', "a module's instead")
    .addOption(
      new Option('--kt, --key-type <type>', 'which key')
        .choices(['primary', 'secondary'])
        .default('primary'),
    )
    .action(async (o: { deviceId: string; moduleId?: string; keyType: KeyType }) => {
      const c = cli.connection();
      const identity = await cli
        .client()
        .call<Json>('GET', identityPath('/devices', o.deviceId, o.moduleId));
      const text = identityConnectionString(c.hostName, identity, o.keyType);
      cli.out(cli.output() === 'json' ? JSON.stringify({ connectionString: text }) : text);
    });
}
