import type { Command } from 'commander';
import type { CliContext, Json } from '../CliContext';
import { positiveInteger } from '../positiveInteger';
import { queryPages } from '../queryPages';

const TWIN_COLUMNS = [
  'deviceId',
  'moduleId',
  'status',
  'connectionState',
  'lastActivityTime',
  'tags',
];

/** `query`: an IoT Hub query over twins, as `az iot hub query`. */
export function queryCommand(program: Command, cli: CliContext): void {
  program
    .command('query')
    .description('run an IoT Hub query over device or module twins (az iot hub query)')
    .requiredOption(
      '-q, --query-command <query>',
      `e.g. "SELECT * FROM devices WHERE tags.site = 'plant-1'"`,
    )
    .option('--top <n>', 'at most this many results (default: all)', positiveInteger())
    .option('--page-size <n>', 'results per request (up to 1000)', positiveInteger(1000), 1000)
    .action(async (o: { queryCommand: string; top?: number; pageSize: number }) => {
      const { items, itemType } = await queryPages(cli.client(), o.queryCommand, o);
      // Projections and counts (`raw` rows) get a column per field they have.
      const columns =
        itemType === 'raw'
          ? [...new Set(items.flatMap((row: Json) => Object.keys(row)))]
          : TWIN_COLUMNS;
      cli.print(items, columns);
    });
}
