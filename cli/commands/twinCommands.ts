import type { Command } from 'commander';
import { CliError, EXIT } from '../CliError';
import type { CliContext, Json } from '../CliContext';
import { identityPath } from '../identityPath';

const TWIN_COLUMNS = ['deviceId', 'moduleId', 'etag', 'version', 'tags', 'desired'];
/** The table shows desired properties without their bookkeeping. */
const twinRow = (t: Json) => {
  const desired = { ...((t.properties as Json | undefined)?.desired as Json | undefined) };
  delete desired.$metadata;
  delete desired.$version;
  return { ...t, desired };
};

function jsonObject(option: string, text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError(`${option} must be a JSON object, e.g. '{"site":"plant-1"}'`, EXIT.usage);
  return value as Json;
}

/** `twin …`: device and module twins, as `az iot hub device-twin` and `module-twin`. */
export function twinCommands(program: Command, cli: CliContext): void {
  const twin = program
    .command('twin')
    .description('device and module twins: tags and desired properties (az iot hub device-twin)');

  twin
    .command('show')
    .description("show a device's or module's twin")
    .requiredOption('-d, --device-id <id>', 'the device ID')
    .option('-m, --module-id <id>', "a module's twin instead")
    .action(async (o: { deviceId: string; moduleId?: string }) =>
      cli.print(
        await cli.client().call<Json>('GET', identityPath('/twins', o.deviceId, o.moduleId)),
        TWIN_COLUMNS,
        twinRow,
      ),
    );

  twin
    .command('update')
    .description('merge tags and desired properties into a twin (null deletes a key)')
    .requiredOption('-d, --device-id <id>', 'the device ID')
    .option('-m, --module-id <id>', "a module's twin instead")
    .option('--tags <json>', `tags to merge, e.g. '{"site":"plant-1"}'`)
    .option('--desired <json>', `desired properties to merge, e.g. '{"interval":30}'`)
    .option('--etag <etag>', 'update only if the twin is unchanged since this etag')
    .action(
      async (o: {
        deviceId: string;
        moduleId?: string;
        tags?: string;
        desired?: string;
        etag?: string;
      }) => {
        const tags = jsonObject('--tags', o.tags);
        const desired = jsonObject('--desired', o.desired);
        if (!tags && !desired) throw new CliError('Give --tags, --desired or both', EXIT.usage);
        const patch = {
          ...(tags ? { tags } : {}),
          ...(desired ? { properties: { desired } } : {}),
        };
        cli.print(
          await cli
            .client()
            .call<Json>('PATCH', identityPath('/twins', o.deviceId, o.moduleId), patch, {
              'if-match': o.etag ? `"${o.etag.replace(/^"|"$/g, '')}"` : '*',
            }),
          TWIN_COLUMNS,
          twinRow,
        );
      },
    );
}
