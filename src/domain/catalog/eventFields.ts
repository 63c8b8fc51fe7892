/**
 * A property of an event, read as the Functions host hands it over: it lower-cases the first
 * letter of keys. Own keys only (a sender's `constructor` must not find Object.prototype's).
 */
export function eventField(bag: Record<string, unknown> | undefined, name: string): unknown {
  if (!bag) return undefined;
  const lower = name.charAt(0).toLowerCase() + name.slice(1);
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  for (const key of [name, lower, upper]) if (Object.hasOwn(bag, key)) return bag[key];
  return undefined;
}

/** An event body as a JSON object (bytes and text parsed), else null. */
export function eventBody(body: unknown): Record<string, unknown> | null {
  let value = body;
  if (value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
