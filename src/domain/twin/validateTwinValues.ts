import { RegistryError } from '../errors/RegistryError';
import { isForbiddenKey } from '../json/forbiddenKeys';
import type { JsonObject } from './Twin';

/** IoT Hub's twin limits (the device twins guide). */
export const TWIN_LIMITS = {
  sectionBytes: 32 * 1024,
  depth: 10,
  keyBytes: 1024,
  stringBytes: 4 * 1024,
} as const;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
// C0 and C1 control characters, '.', '$' and space may not appear in a key.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_KEY = /[\u0000-\u001f\u007f-\u009f.$ ]/;

const invalid = (message: string) => new RegistryError('ArgumentInvalid', message);

/**
 * Checks the keys and values of `tags`, `properties.desired` or `properties.reported` (or of a
 * patch to one: `null` is allowed there, to delete a key). Throws a 400 naming the key.
 */
export function validateTwinValues(section: string, values: unknown, isPatch: boolean): void {
  if (!isPlainObject(values)) throw invalid(`${section} must be a JSON object`);
  walk(section, values, 1, isPatch);
}

/** Checks the size of a whole section after a change. */
export function validateSectionSize(section: string, values: JsonObject): void {
  const size = bytes(JSON.stringify(values));
  if (size > TWIN_LIMITS.sectionBytes)
    throw invalid(
      `${section} would be ${size} bytes: at most ${TWIN_LIMITS.sectionBytes} are allowed`,
    );
}

function walk(path: string, node: Record<string, unknown>, depth: number, isPatch: boolean) {
  if (depth > TWIN_LIMITS.depth)
    throw invalid(`${path} is nested more than ${TWIN_LIMITS.depth} levels deep`);
  for (const [key, value] of Object.entries(node)) {
    const at = `${path}.${key}`;
    if (key === '') throw invalid(`${path} has an empty key`);
    // The edge refuses these in any body: here too, for twins that arrive another way.
    if (isForbiddenKey(key)) throw invalid(`The key '${key}' in ${path} is not allowed`);
    if (bytes(key) > TWIN_LIMITS.keyBytes)
      throw invalid(`The key '${key.slice(0, 40)}…' in ${path} is longer than 1 KB`);
    if (FORBIDDEN_IN_KEY.test(key))
      throw invalid(
        `The key '${key}' in ${path} holds '.', '$', a space or a control character, which twin keys may not`,
      );
    checkValue(at, value, depth, isPatch);
  }
}

function checkValue(at: string, value: unknown, depth: number, isPatch: boolean): void {
  if (value === null) {
    if (!isPatch) throw invalid(`${at} is null: leave the key out instead`);
    return;
  }
  switch (typeof value) {
    case 'string':
      if (bytes(value) > TWIN_LIMITS.stringBytes)
        throw invalid(`The value of ${at} is longer than 4 KB`);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(`The value of ${at} is not a finite number`);
      return;
    case 'boolean':
      return;
    case 'object':
      if (Array.isArray(value)) {
        // An array is a level as an object is: nested arrays may not dodge the limit.
        if (depth + 1 > TWIN_LIMITS.depth)
          throw invalid(`${at} is nested more than ${TWIN_LIMITS.depth} levels deep`);
        value.forEach((item, i) => {
          if (item === null) throw invalid(`${at}[${i}] is null: arrays may not hold null`);
          checkValue(`${at}[${i}]`, item, depth + 1, false);
        });
        return;
      }
      walk(at, value as Record<string, unknown>, depth + 1, isPatch);
      return;
    default:
      throw invalid(`The value of ${at} is not JSON`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
