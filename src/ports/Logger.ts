/** Process-level diagnostics. Messages never carry keys or signatures. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
