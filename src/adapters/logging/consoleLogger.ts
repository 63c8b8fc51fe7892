import type { Logger } from '../../ports/Logger';

/** The local host's logger: one line per event on stderr/stdout; errors show message and stack. */
export const consoleLogger: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(`warning: ${message}`),
  error: (message, error) =>
    console.error(
      `error: ${message}`,
      error instanceof Error ? (error.stack ?? error.message) : '',
    ),
};
