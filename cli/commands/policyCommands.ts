import { Option, type Command } from 'commander';
import { CliError, EXIT } from '../CliError';
import type { CliContext } from '../CliContext';
import { policyConnectionString, type KeyType } from '../connectionStrings';
import { parseConnectionString } from '../parseConnectionString';
import { readLocalPolicies } from '../readLocalPolicies';

/** `policy …`: the local host's shared access policies, read from its data folder. */
export function policyCommands(program: Command, cli: CliContext): void {
  const policy = program
    .command('policy')
    .description(
      "the local host's shared access policies, from <data dir>/policies.json (az iot hub policy)",
    );

  policy
    .command('list')
    .description('list the policies and their rights (no keys)')
    .action(() => {
      const { file, policies } = readLocalPolicies(cli.dataDir());
      cli.note(`Policies from ${file}`);
      cli.print(
        [...policies.values()].map(({ keyName, rights }) => ({ keyName, rights })),
        ['keyName', 'rights'],
        (p) => ({ ...p, rights: (p.rights as string[]).join(', ') }),
      );
    });

  policy
    .command('connection-string')
    .description("print a policy's service connection string (az iot hub connection-string show)")
    .option('--policy <name>', 'the policy', 'iothubowner')
    .addOption(
      new Option('--kt, --key-type <type>', 'which key')
        .choices(['primary', 'secondary'])
        .default('primary'),
    )
    .action((o: { policy: string; keyType: KeyType }) => {
      const { file, policies } = readLocalPolicies(cli.dataDir());
      const found = policies.get(o.policy);
      if (!found)
        throw new CliError(
          `No policy '${o.policy}' in ${file} (it has ${[...policies.keys()].join(', ')})`,
          EXIT.notFound,
        );
      cli.note(`Policy '${o.policy}' from ${file}`);
      // The hub's host name is the login's when there is one; `npm start`'s is localhost.
      const login = program.opts<{ login?: string }>().login;
      const hostName = login?.trim() ? parseConnectionString(login).hostName : 'localhost';
      const text = policyConnectionString(
        hostName,
        found.keyName,
        o.keyType === 'primary' ? found.primaryKey : found.secondaryKey,
      );
      cli.out(cli.output() === 'json' ? JSON.stringify({ connectionString: text }) : text);
    });
}
