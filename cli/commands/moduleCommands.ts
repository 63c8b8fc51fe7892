import { Option, type Command } from 'commander';
import type { CliContext } from '../CliContext';
import { identityPath } from '../identityPath';

interface Ids {
  deviceId: string;
  moduleId: string;
}
const MODULE_COLUMNS = ['deviceId', 'moduleId', 'managedBy', 'connectionState', 'lastActivityTime'];

/** `module …`: module identities, as `az iot hub module-identity`. */
export function moduleCommands(program: Command, cli: CliContext): void {
  const modules = program
    .command('module')
    .description('module identities (az iot hub module-identity)');
  const deviceId = () =>
    new Option('-d, --device-id <id>', 'the device the module belongs to').makeOptionMandatory();
  const moduleId = () => new Option('-m, --module-id <id>', 'the module ID').makeOptionMandatory();

  modules
    .command('create')
    .description('add a module to a device; its keys are generated')
    .addOption(deviceId())
    .addOption(moduleId())
    .action(async (o: Ids) =>
      cli.print(
        await cli.client().call('PUT', identityPath('/devices', o.deviceId, o.moduleId), {}),
        MODULE_COLUMNS,
      ),
    );
  modules
    .command('show')
    .description('show a module identity, keys included')
    .addOption(deviceId())
    .addOption(moduleId())
    .action(async (o: Ids) =>
      cli.print(
        await cli.client().call('GET', identityPath('/devices', o.deviceId, o.moduleId)),
        MODULE_COLUMNS,
      ),
    );
  modules
    .command('list')
    .description("list a device's modules")
    .addOption(deviceId())
    .action(async (o: Ids) =>
      cli.print(
        await cli.client().call('GET', `${identityPath('/devices', o.deviceId)}/modules`),
        MODULE_COLUMNS,
      ),
    );
  modules
    .command('delete')
    .description('delete a module and its twin')
    .addOption(deviceId())
    .addOption(moduleId())
    .action(async (o: Ids) => {
      await cli
        .client()
        .call('DELETE', identityPath('/devices', o.deviceId, o.moduleId), undefined, {
          'if-match': '*',
        });
      cli.out(
        cli.output() === 'json' ? JSON.stringify({ deleted: o.moduleId }) : `Deleted ${o.moduleId}`,
      );
    });
}
