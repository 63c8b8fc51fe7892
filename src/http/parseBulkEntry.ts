import type { BulkEntry } from '../application/BulkEntry';
import { RegistryError } from '../domain/errors/RegistryError';
import { assertDeviceId, assertModuleId } from '../domain/identity/identityId';
import { needsETag } from '../domain/identity/ImportMode';
import { resolveAuthentication } from '../domain/identity/resolveAuthentication';
import type { BulkEntryBody } from './schemas/bulkSchema';
import { toDeviceInput, toModuleInput } from './toInputs';
import { twinChangeOf } from './twinChangeOf';

/**
 * Turns a schema-valid entry into a BulkEntry, checking everything that can be checked without
 * the store (IDs, etag presence, keys, thumbprints, statusReason), so a bad entry is refused
 * before any entry is applied.
 */
export function parseBulkEntry(body: BulkEntryBody): BulkEntry {
  const deviceId = assertDeviceId(body.id);
  const moduleId =
    body.moduleId === null || body.moduleId === undefined
      ? undefined
      : assertModuleId(body.moduleId);
  const etag = body.eTag ?? body.etag ?? undefined;
  if (needsETag(body.importMode) && !etag) {
    throw new RegistryError(
      'ArgumentInvalid',
      `importMode ${body.importMode} needs the entry's eTag`,
    );
  }
  const device = toDeviceInput(body);
  if (device.statusReason && [...device.statusReason].length > 128) {
    throw new RegistryError(
      'ArgumentInvalid',
      'statusReason is longer than 128 characters: shorten it',
    );
  }
  resolveAuthentication(device.authentication, undefined);
  return {
    deviceId,
    moduleId,
    importMode: body.importMode,
    etag,
    device,
    module: toModuleInput(body),
    twin: twinChangeOf(body.tags, body.properties),
  };
}
