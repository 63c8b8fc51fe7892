import { RegistryError } from '../domain/errors/RegistryError';

const ATTEMPTS = 5;

/**
 * Runs an unconditional ("If-Match: *") write as a conditional one on the etag just read,
 * retrying when another writer got in between, so that no update is lost silently.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, enabled = true): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const conflict = error instanceof RegistryError && error.code === 'PreconditionFailed';
      if (!enabled || !conflict || i >= ATTEMPTS) throw error;
    }
  }
}
