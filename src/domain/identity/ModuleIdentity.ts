import type { Authentication, AuthenticationInput } from './Authentication';

/** A module identity as stored. Modules have no status: the spec says they cannot be disabled. */
export interface ModuleIdentity {
  deviceId: string;
  moduleId: string;
  generationId: string;
  etag: string;
  managedBy: string | null;
  authentication: Authentication;
  /**
   * The generation of the device the module was created under. A module whose device was
   * deleted (and maybe re-created) no longer belongs to it, even if a cascade was interrupted.
   */
  deviceGenerationId: string;
}

export type ModuleDraft = Omit<ModuleIdentity, 'etag'>;

export interface ModuleInput {
  managedBy?: string | null | undefined;
  authentication?: AuthenticationInput | undefined;
}
