/** Readers of the fields of one stream event. None throws, whatever the sender put there. */

export function text(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** A time as ISO 8601: a Date, an ISO string, or epoch milliseconds (AMQP timestamps). */
export function time(value: unknown): string | null {
  const candidate =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string'
        ? Date.parse(value)
        : typeof value === 'number'
          ? value
          : NaN;
  if (!Number.isFinite(candidate)) return null;
  const date = new Date(candidate);
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}

/** An own property only: `constructor` or `__proto__` must not find Object.prototype's. */
export function own(bag: unknown, name: string): unknown {
  return bag !== null && typeof bag === 'object' && Object.hasOwn(bag, name)
    ? (bag as Record<string, unknown>)[name]
    : undefined;
}

/** Reads a key case-insensitively: the Functions host lower-cases the first letter of keys. */
export function prop(bag: Record<string, unknown> | undefined, name: string): unknown {
  if (!bag || typeof bag !== 'object') return undefined;
  if (Object.hasOwn(bag, name)) return bag[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(bag)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The body as a JSON object (bytes, a string or already parsed); null when it is not one. */
export function jsonBody(body: unknown): Record<string, unknown> | null {
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
