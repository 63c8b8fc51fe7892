import type { z } from 'zod';

/** A message that names the field and what to send instead; at most three issues. */
export function formatZodError(error: z.ZodError, subject: string): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : subject;
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} in ${where}: remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    return `${where}: ${issue.message}`;
  });
  return `Invalid ${subject}: ${parts.join(', ')}`;
}
