#!/usr/bin/env node
/**
 * `npx iot-registry …`: the registry from a terminal (see buildProgram). Reads the connection
 * string from IOTHUB_CONNECTION_STRING (or --login) and the registry's URL from
 * IOTHUB_REGISTRY_URL (or --url; default https://<HostName>). Tables for people, `--output json`
 * for scripts. Exit codes: 0 done, 2 usage or configuration, 3 not found, 4 refused by the
 * registry (bad input, etag, permission), 5 unreachable or failed.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './buildProgram';
import { CliError, EXIT } from './CliError';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof CommanderError) {
      // Help and version end well; every other parsing failure is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    process.stderr.write(
      `${error instanceof CliError ? error.message : `Unexpected failure: ${String(error)}`}\n`,
    );
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.unavailable;
  });
