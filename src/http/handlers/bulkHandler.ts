import type { BulkEntry } from '../../application/BulkEntry';
import { RegistryError } from '../../domain/errors/RegistryError';
import { jsonResponse } from '../jsonResponse';
import { parseBulkEntry } from '../parseBulkEntry';
import { readJsonBody } from '../readJsonBody';
import { bulkBodySchema } from '../schemas/bulkSchema';
import type { ServiceHandler } from '../httpEndpoint';

function validate(bodies: ReturnType<typeof bulkBodySchema.parse>): BulkEntry[] {
  const seen = new Set<string>();
  return bodies.map((body, index) => {
    let entry: BulkEntry;
    try {
      entry = parseBulkEntry(body);
    } catch (error) {
      if (error instanceof RegistryError)
        throw new RegistryError(
          error.code,
          `Entry ${index} (id '${body.id.slice(0, 140)}'): ${error.message}`,
        );
      throw error;
    }
    const key = `${entry.deviceId}\u0000${entry.moduleId ?? ''}`;
    if (seen.has(key)) {
      const what =
        entry.moduleId === undefined
          ? `Device '${entry.deviceId}'`
          : `Module '${entry.deviceId}/${entry.moduleId}'`;
      throw new RegistryError(
        'DeviceDefinedMultipleTimes',
        `${what} appears more than once (again at entry ${index}): send each identity once`,
      );
    }
    seen.add(key);
    return entry;
  });
}

/**
 * `POST /devices`: 1 to 100 entries. A malformed request applies nothing; otherwise each entry
 * is applied on its own and failures are listed per entry (200 when all succeeded, else 400).
 */
export const bulkDevices: ServiceHandler = async (request, { bulk }) => {
  const entries = validate(await readJsonBody(request, bulkBodySchema, 'bulk request'));
  const result = await bulk.apply(entries);
  return result.isSuccessful
    ? jsonResponse(200, result)
    : jsonResponse(400, result, { 'iothub-errorcode': 'BulkRegistryOperationFailure' });
};
