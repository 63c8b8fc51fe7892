import { Command, Option } from 'commander';
import { cliContext } from './CliContext';
import { deviceCommands } from './commands/deviceCommands';
import { jobCommands } from './commands/jobCommands';
import { livenessCommands } from './commands/livenessCommands';
import { moduleCommands } from './commands/moduleCommands';
import { policyCommands } from './commands/policyCommands';
import { queryCommand } from './commands/queryCommand';
import { sasCommand } from './commands/sasCommand';
import { twinCommands } from './commands/twinCommands';

/**
 * The `iot-registry` command tree, shaped like `az iot hub …` where they overlap. Built without
 * parsing, so tests can walk it.
 */
export function buildProgram(): Command {
  const program = new Command('iot-registry')
    .description('Manage the identity registry and watch device liveness')
    .addOption(
      new Option('--login <connectionString>', 'service connection string').env(
        'IOTHUB_CONNECTION_STRING',
      ),
    )
    .addOption(
      new Option('--url <url>', "the registry's base URL (default: https://<HostName>)").env(
        'IOTHUB_REGISTRY_URL',
      ),
    )
    .addOption(new Option('--ca <file>', "a PEM certificate to trust for the registry's TLS"))
    .addOption(
      new Option(
        '--data-dir <dir>',
        "the local host's data folder: policies.json, and tls/cert.pem (trusted for https://localhost)",
      )
        .env('DATA_DIR')
        .default('.data'),
    )
    .addOption(
      new Option('-o, --output <format>', 'output format: tables, or the API JSON as it came')
        .choices(['table', 'json'])
        .default('table'),
    )
    .exitOverride()
    .showHelpAfterError();
  const cli = cliContext(program);
  for (const add of [
    deviceCommands,
    moduleCommands,
    twinCommands,
    queryCommand,
    sasCommand,
    policyCommands,
    jobCommands,
    livenessCommands,
  ])
    add(program, cli);
  return program;
}
