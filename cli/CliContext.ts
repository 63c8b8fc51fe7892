import type { Command } from 'commander';
import { CliError, EXIT } from './CliError';
import { table } from './format';
import { parseConnectionString, type Connection } from './parseConnectionString';
import { RegistryClient } from './RegistryClient';
import { registryTrust } from './registryTrust';

export type Json = Record<string, unknown>;
/** Command options: strings and flags, as commander hands them over. */
export type Opts = Record<string, string | boolean | undefined>;

/** What every command needs from the global options, read when the command runs. */
export interface CliContext {
  out(line: string): void;
  /** A line for the person, not the script: stderr. */
  note(line: string): void;
  output(): 'table' | 'json';
  connection(): Connection;
  client(): RegistryClient;
  /** Where `npm start` keeps its policies and certificate (--data-dir, DATA_DIR, `.data`). */
  dataDir(): string;
  /** `--output json` prints the API's JSON as it came; `row` shapes table rows only. */
  print(value: unknown, columns: readonly string[], row?: (item: Json) => Json): void;
}

interface GlobalOptions {
  login?: string;
  url?: string;
  output: 'table' | 'json';
  dataDir?: string;
  ca?: string;
}

/** An empty setting (`IOTHUB_REGISTRY_URL=`) is no setting. */
const setting = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

export function cliContext(program: Command): CliContext {
  const globals = () => program.opts<GlobalOptions>();
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const registryUrl = (): string | undefined => {
    const raw = globals().url;
    const value = setting(raw);
    if (value === undefined) return undefined;
    if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
      const name = program.getOptionValueSource('url') === 'env' ? 'IOTHUB_REGISTRY_URL' : '--url';
      throw new CliError(
        `${name} is not a URL: '${String(raw)}' (e.g. https://localhost:7443)`,
        EXIT.usage,
      );
    }
    return value;
  };
  const connection = () => parseConnectionString(setting(globals().login), registryUrl());
  const dataDir = () => setting(globals().dataDir) ?? '.data';

  return {
    out,
    note: (line) => process.stderr.write(`${line}\n`),
    output: () => globals().output,
    connection,
    dataDir,
    client() {
      const c = connection();
      return new RegistryClient(c, registryTrust(c.baseUrl, dataDir(), setting(globals().ca)));
    },
    print(value, columns, row = (item) => item) {
      if (globals().output === 'json') {
        out(JSON.stringify(value, null, 2));
        return;
      }
      const items = (Array.isArray(value) ? value : [value]) as Json[];
      out(table(items.map(row), columns));
    },
  };
}
