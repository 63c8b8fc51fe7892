import { RegistryError } from '../../src/domain/errors/RegistryError';

/** The RegistryError a call throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RegistryError) return e;
    throw e;
  }
  throw new Error('expected a RegistryError, but nothing was thrown');
}
