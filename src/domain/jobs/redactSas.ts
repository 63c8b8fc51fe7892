/** A container URI safe to show or log: the SAS signature is replaced, everything else kept. */
export function redactSas(uri: string): string {
  return uri.replace(/([?&]sig=)[^&#]*/gi, '$1REDACTED');
}
