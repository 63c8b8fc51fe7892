import { RegistryError } from '../../domain/errors/RegistryError';
import type { ErrorCode } from '../../domain/errors/ErrorCode';

export interface CosmosErrorMeaning {
  conflict?: [ErrorCode, string];
  notFound?: [ErrorCode, string];
  preconditionFailed?: [ErrorCode, string];
}

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown; statusCode?: unknown } | null)?.code;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : typeof status === 'number' ? status : undefined;
};

/** Turns the Cosmos statuses a caller can act on into RegistryErrors; anything else passes through. */
export function translateCosmosError(error: unknown, meaning: CosmosErrorMeaning): unknown {
  const pick = (m: [ErrorCode, string] | undefined) => (m ? new RegistryError(m[0], m[1]) : error);
  switch (statusOf(error)) {
    case 409:
      return pick(meaning.conflict);
    case 404:
      return pick(meaning.notFound);
    case 412:
      return pick(meaning.preconditionFailed);
    case 429:
      return new RegistryError(
        'ThrottlingException',
        'The identity store is busy: retry after a moment',
      );
    case 503:
      // The cause lets the dependency guard see the 503 (an outage) behind the wire error.
      return Object.assign(
        new RegistryError(
          'ServiceUnavailable',
          'The identity store is unavailable: retry after 5 seconds',
          5,
        ),
        { cause: error },
      );
    default:
      return error;
  }
}

export const isCosmosNotFound = (error: unknown): boolean => statusOf(error) === 404;
