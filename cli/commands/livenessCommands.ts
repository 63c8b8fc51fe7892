import type { Command } from 'commander';
import type { CliContext, Json } from '../CliContext';
import { identityPath } from '../identityPath';
import { positiveInteger } from '../positiveInteger';

const LIVENESS_COLUMNS = [
  'deviceId',
  'moduleId',
  'state',
  'stateSince',
  'lastSeen',
  'intervalSeconds',
];

/** `liveness …`: the monitor's last-seen map. */
export function livenessCommands(program: Command, cli: CliContext): void {
  const liveness = program
    .command('liveness')
    .description('the liveness monitor: which devices are online, silent or never seen');
  liveness
    .command('summary')
    .description('counts of online, silent and never-seen devices, and how current they are')
    .action(async () => {
      const s = await cli.client().call<{
        counts: Json;
        current: boolean;
        pipelineLagSeconds: number | null;
      }>('GET', '/liveness/summary');
      cli.print(s, ['online', 'silent', 'neverSeen', 'current', 'lagSeconds'], () => ({
        ...s.counts,
        current: s.current,
        lagSeconds: s.pipelineLagSeconds,
      }));
    });
  liveness
    .command('silent')
    .description('devices that missed their deadline')
    .option('--top <n>', 'at most this many', positiveInteger(1000), 100)
    .action(async (o: { top: number }) =>
      cli.print(
        await cli.client().call('GET', `/liveness?state=silent&top=${o.top}`),
        LIVENESS_COLUMNS,
      ),
    );
  liveness
    .command('show')
    .description("one device's or module's liveness: state, since when, last seen")
    .requiredOption('-d, --device-id <id>', 'the device ID')
    .option('-m, --module-id <id>', "a module's instead")
    .action(async (o: { deviceId: string; moduleId?: string }) =>
      cli.print(
        await cli
          .client()
          .call('GET', `${identityPath('/devices', o.deviceId, o.moduleId)}/liveness`),
        LIVENESS_COLUMNS,
      ),
    );
}
