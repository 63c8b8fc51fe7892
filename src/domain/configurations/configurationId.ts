import { RegistryError } from '../errors/RegistryError';
import { CONFIGURATION_LIMITS } from './Configuration';

/** IoT Hub's rule: lowercase letters, digits and -:+%_#*?!(),=@;$' only, up to 128. */
const ALLOWED = /^[a-z0-9\-:+%_#*?!(),=@;$']+$/;

export function assertConfigurationId(id: string): string {
  if (id.length === 0 || id.length > CONFIGURATION_LIMITS.idLength || !ALLOWED.test(id))
    throw new RegistryError(
      'ArgumentInvalid',
      `The configuration ID '${id.slice(0, 140)}' is invalid: use 1 to ${CONFIGURATION_LIMITS.idLength} lowercase letters, digits and the characters -:+%_#*?!(),=@;$' (no spaces, no uppercase)`,
    );
  return id;
}
