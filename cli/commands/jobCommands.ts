import type { Command } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT } from '../CliError';
import type { CliContext, Json, Opts } from '../CliContext';
import { progressBar } from '../format';

const JOB_COLUMNS = ['jobId', 'type', 'status', 'progress', 'failureReason'];

/** `job …`: import and export jobs through blob containers. */
export function jobCommands(program: Command, cli: CliContext): void {
  const job = program
    .command('job')
    .description('import and export jobs (az iot hub device-identity export/import)');
  const enc = encodeURIComponent;

  const start = async (body: Json, wait: boolean): Promise<void> => {
    const c = cli.client();
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
    cli.print(current, JOB_COLUMNS);
    if (wait && current.status !== 'completed') process.exitCode = EXIT.refused;
  };

  job
    .command('export')
    .description('write every identity to devices.txt in a blob container')
    .requiredOption('--container <sasUri>', 'the output container (SAS URI)')
    .option('--exclude-keys', 'leave keys out of the file')
    .option('--wait', 'wait for the job to end, showing its progress')
    .action((o: Opts) =>
      start(
        {
          type: 'export',
          outputBlobContainerUri: o.container,
          excludeKeysInExport: !!o.excludeKeys,
        },
        !!o.wait,
      ),
    );
  job
    .command('import')
    .description('create, update or delete identities from devices.txt in a blob container')
    .requiredOption('--input <sasUri>', 'the container holding devices.txt (SAS URI)')
    .requiredOption('--output <sasUri>', 'the container for importErrors.log (SAS URI)')
    .option('--wait', 'wait for the job to end, showing its progress')
    .action((o: Opts) =>
      start(
        { type: 'import', inputBlobContainerUri: o.input, outputBlobContainerUri: o.output },
        !!o.wait,
      ),
    );
  job
    .command('show')
    .description("show a job's status and progress")
    .requiredOption('--job-id <id>', 'the job ID (from export, import or list)')
    .action(async (o: Opts) =>
      cli.print(await cli.client().call('GET', `/jobs/${enc(String(o.jobId))}`), JOB_COLUMNS),
    );
  job
    .command('list')
    .description('list recent jobs')
    .action(async () => cli.print(await cli.client().call('GET', '/jobs'), JOB_COLUMNS));
}
