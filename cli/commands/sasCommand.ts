import type { Command } from 'commander';
import { CliError, EXIT } from '../CliError';
import type { CliContext } from '../CliContext';
import { identityPath } from '../identityPath';
import { positiveInteger } from '../positiveInteger';
import { deviceToken, policyToken } from '../sasTokens';

/** `sas`: a token for curl, a device, or a module (az iot hub generate-sas-token). */
export function sasCommand(program: Command, cli: CliContext): void {
  program
    .command('sas')
    .description('a SAS token: for a device or module (signed with its key), or for the policy')
    .option('-d, --device-id <id>', "a device's token (default: the login policy's)")
    .option('-m, --module-id <id>', "a module's token (with -d)")
    .option('--du, --duration <seconds>', 'valid for', positiveInteger(), 3600)
    .action(async (o: { deviceId?: string; moduleId?: string; duration: number }) => {
      const c = cli.connection();
      let token: string;
      if (!o.deviceId) token = policyToken(c, o.duration);
      else {
        const path = identityPath('/devices', o.deviceId, o.moduleId);
        const identity = await cli.client().call<{
          authentication?: { symmetricKey?: { primaryKey?: string | null } };
        }>('GET', path);
        const key = identity.authentication?.symmetricKey?.primaryKey;
        if (!key)
          throw new CliError(
            'This identity has no symmetric key (it authenticates with a certificate)',
            EXIT.refused,
          );
        token = deviceToken(`${c.hostName}${path}`, key, o.duration);
      }
      cli.out(cli.output() === 'json' ? JSON.stringify({ sas: token }) : token);
    });
}
