/**
 * Keys that reach an object's prototype when a merge or copy assigns them (`target[key] = …`):
 * never data here, so a caller's JSON holding one is refused and stored data holding one is
 * skipped. IoT Hub has no use for them either.
 */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.includes(key);
}
