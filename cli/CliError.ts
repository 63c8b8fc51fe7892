/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, usage: 2, notFound: 3, refused: 4, unavailable: 5 } as const;

/** What a failed command tells the caller, and the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
