import type { Settings } from '../src/config/Settings';

/**
 * A binding option's value as the Functions runtime resolves it: `%NAME%` is the setting of
 * that name; anything else is literal. An unknown or empty setting is a start-up error.
 */
export function bindingValue(value: string, settings: Partial<Settings>): string {
  const named = /^%([A-Z0-9_]+)%$/.exec(value)?.[1];
  if (named === undefined) return value;
  const resolved = (settings as Record<string, unknown>)[named];
  if (typeof resolved === 'number') return String(resolved);
  if (typeof resolved !== 'string' || resolved === '')
    throw new Error(`The binding option ${value} names a setting that is not set: set ${named}`);
  return resolved;
}
