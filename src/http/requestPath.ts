import type { HttpRequest } from '@azure/functions';
import { RegistryError } from '../domain/errors/RegistryError';

/**
 * The request's path, URL-decoded. One that begins with `//` is refused: no route has an empty
 * first segment, and such a path reads as a host name to anything that resolves it as a URL
 * (a redirect's Location, `new URL(path, base)`).
 */
export function requestPath(request: HttpRequest): string {
  const { pathname } = new URL(request.url);
  if (pathname.startsWith('//'))
    throw new RegistryError('ArgumentInvalid', 'The path begins with // : send it with one /');
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new RegistryError('ArgumentInvalid', 'The path is not validly percent-encoded');
  }
}
