/** A device (moduleId null) or one of its modules. */
export interface IdentityRef {
  deviceId: string;
  moduleId: string | null;
}
