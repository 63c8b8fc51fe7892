import { RegistryError } from '../errors/RegistryError';
import { isForbiddenKey } from '../json/forbiddenKeys';
import type { JsonObject, JsonValue } from '../twin/Twin';
import { isPlainObject, validateSectionSize, validateTwinValues } from '../twin/validateTwinValues';

const PREFIX = 'properties.desired';

/**
 * The desired properties a device or module content sets, as one patch: IoT Hub's content keys
 * are `properties.desired` (an object) or `properties.desired.<path>` (the value at that path).
 * Anything else (tags, reported properties) is a 400 naming the key.
 */
export function desiredPatchOf(content: JsonObject, field: string): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(content)) {
    if (key === PREFIX) {
      if (!isPlainObject(value))
        throw new RegistryError('ArgumentInvalid', `${field}["${PREFIX}"] must be an object`);
      for (const [k, v] of Object.entries(value)) setAt(patch, [k], v, field, key);
      continue;
    }
    if (!key.startsWith(`${PREFIX}.`) || key.length === PREFIX.length + 1)
      throw new RegistryError(
        'ArgumentInvalid',
        `${field} may set desired properties only: '${key.slice(0, 100)}' is not 'properties.desired' nor 'properties.desired.<name>'`,
      );
    setAt(patch, key.slice(PREFIX.length + 1).split('.'), value, field, key);
  }
  validateTwinValues(`${field} (properties.desired)`, patch, false);
  validateSectionSize(`${field} (properties.desired)`, patch);
  return patch;
}

function setAt(
  patch: JsonObject,
  path: string[],
  value: JsonValue,
  field: string,
  key: string,
): void {
  let node = patch;
  for (const [i, segment] of path.entries()) {
    if (segment === '' || isForbiddenKey(segment))
      throw new RegistryError(
        'ArgumentInvalid',
        `${field} has an invalid key '${key.slice(0, 100)}'`,
      );
    if (i === path.length - 1) {
      if (segment in node)
        throw new RegistryError('ArgumentInvalid', `${field} sets '${key.slice(0, 100)}' twice`);
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (next === undefined) node = node[segment] = {};
    else if (isPlainObject(next)) node = next;
    else throw new RegistryError('ArgumentInvalid', `${field} sets '${key.slice(0, 100)}' twice`);
  }
}
