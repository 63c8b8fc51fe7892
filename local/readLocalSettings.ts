import { readFileSync } from 'node:fs';

/**
 * Settings for the local host: `local.settings.json` "Values" (as Core Tools reads them), with
 * the process environment taking precedence.
 */
export function readLocalSettings(
  file = 'local.settings.json',
): Record<string, string | undefined> {
  let values: Record<string, string> = {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> };
    values = parsed.Values ?? {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} could not be read as JSON: ${(error as Error).message}`);
    }
  }
  return { ...values, ...process.env };
}
