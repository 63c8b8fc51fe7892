/** Told after every committed change of an identity (create, update, delete), in process. */
export interface IdentityChangeObserver {
  identityChanged(deviceId: string, moduleId: string | null): void;
}
