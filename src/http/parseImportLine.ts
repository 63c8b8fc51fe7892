import type { BulkEntry } from '../application/BulkEntry';
import { RegistryError } from '../domain/errors/RegistryError';
import { assertSafeJson } from '../domain/json/assertSafeJson';
import { parseBulkEntry } from './parseBulkEntry';
import { bulkEntrySchema } from './schemas/bulkSchema';
import { formatZodError } from './schemas/formatZodError';

/**
 * One line of an import file: an ExportImportDevice object, as in a bulk request, whose
 * importMode defaults to createOrUpdate.
 */
export function parseImportLine(line: string): BulkEntry {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new RegistryError(
      'IotHubFormatError',
      `The line is not valid JSON (${(error as Error).message}): one JSON object per line`,
    );
  }
  assertSafeJson(json, 'import line');
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new RegistryError(
      'ArgumentInvalid',
      'The line is not a JSON object: one identity per line',
    );
  const withMode = 'importMode' in json ? json : { ...json, importMode: 'createOrUpdate' };
  const parsed = bulkEntrySchema.safeParse(withMode);
  if (!parsed.success)
    throw new RegistryError('ArgumentInvalid', formatZodError(parsed.error, 'import line'));
  return parseBulkEntry(parsed.data);
}
