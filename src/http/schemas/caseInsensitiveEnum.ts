import { z } from 'zod';

/** An enum matched without regard to case, normalised to the canonical spelling. */
export function caseInsensitiveEnum<const T extends readonly string[]>(values: T, what: string) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v as T[number]]));
  return z.string().transform((s, ctx) => {
    const value = byLower.get(s.toLowerCase());
    if (value === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} '${s.slice(0, 64)}' is not one of: ${values.join(', ')}`,
      });
      return z.NEVER;
    }
    return value;
  });
}
