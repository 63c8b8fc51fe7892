import type { HttpRequest } from '@azure/functions';
import { RegistryError } from '../domain/errors/RegistryError';

/** A route parameter; the host has already percent-decoded it. */
export function pathParam(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined) throw new RegistryError('ArgumentNull', `The path has no ${name}`);
  return value;
}
