import { RegistryError } from '../domain/errors/RegistryError';

export const CURRENT_API_VERSION = '2021-04-12';
const FIRST_API_VERSION = '2016-02-03';
const FORMAT = /^(\d{4}-\d{2}-\d{2})(-preview)?$/;

/**
 * api-version is a release date of the IoT Hub REST API. Any well-formed date from the first
 * release up to today is served with the current contract; a missing one means the current
 * version (so plain curl works); anything else is refused with the version to use.
 */
export function checkApiVersion(value: string | null, now: Date): void {
  if (value === null) return;
  const date = FORMAT.exec(value)?.[1];
  const known =
    date !== undefined &&
    !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) &&
    new Date(`${date}T00:00:00Z`).toISOString().startsWith(date) &&
    date >= FIRST_API_VERSION &&
    date <= now.toISOString().slice(0, 10);
  if (!known) {
    throw new RegistryError(
      'InvalidProtocolVersion',
      `api-version '${value.slice(0, 40)}' is not a version of this API: use api-version=${CURRENT_API_VERSION}`,
    );
  }
}
