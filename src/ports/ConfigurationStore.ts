import type { Configuration, ConfigurationDraft } from '../domain/configurations/Configuration';

/**
 * Durable configurations. Writes are conditional on the etag where one is given
 * (RegistryError PreconditionFailed otherwise); a create of an existing ID is
 * ConfigurationAlreadyExists; updates and deletes of a missing one ConfigurationNotFound.
 */
export interface ConfigurationStore {
  read(id: string): Promise<Configuration | null>;
  /** Every configuration, oldest first. */
  list(): Promise<Configuration[]>;
  create(draft: ConfigurationDraft): Promise<Configuration>;
  replace(draft: ConfigurationDraft, etag: string): Promise<Configuration>;
  delete(id: string, etag: string | null): Promise<void>;
}
