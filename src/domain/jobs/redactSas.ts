/** A container URI safe to show or log: the SAS signature is replaced, everything else kept. */
export function redactSas(uri: string): string {
  return uri.replace(/((?:^|[?&\s;])sig=)[^&#\s"']*/gi, '$1REDACTED');
}

/** An error safe to log: SAS signatures in its message and stack are replaced. */
export function redactError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(redactSas(String(error)));
  const safe = new Error(redactSas(error.message));
  safe.name = error.name;
  safe.stack = error.stack === undefined ? undefined : redactSas(error.stack);
  return safe;
}
