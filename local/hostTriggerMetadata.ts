/** The Functions host lower-cases the first letter of every key, recursively (LOCAL-STACK.md). */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k.charAt(0).toLowerCase() + k.slice(1),
      camelKeys(v),
    ]),
  );
}
