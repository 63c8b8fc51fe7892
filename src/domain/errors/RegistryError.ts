import type { ErrorCode } from './ErrorCode';

/**
 * A failure the caller can act on. The HTTP edge maps `code` to a status in one place;
 * `message` is shown to the caller, so it must say what to fix and never carry secrets.
 */
export class RegistryError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For throttling: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    // The SDK splits the wire message on ';' (CONTRACT.md), so keep it out.
    super(message.replace(/;/g, ','));
    this.name = 'RegistryError';
  }
}

export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;
