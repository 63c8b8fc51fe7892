import { RegistryError } from '../errors/RegistryError';

// The current guide: devices may not use '+' and '#'; modules may (CONTRACT.md).
const DEVICE_ID = /^[A-Za-z0-9\-:.%_*?!(),=@;$']{1,128}$/;
const MODULE_ID = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']{1,128}$/;
// ';' is spelled out: the wire error format reserves it as a separator.
const DEVICE_CHARS = "A-Z a-z 0-9 - : . % _ * ? ! ( ) , = @ $ ' and semicolon";
const MODULE_CHARS = "A-Z a-z 0-9 - : . + % _ # * ? ! ( ) , = @ $ ' and semicolon";

function describe(kind: string, id: string, chars: string): string {
  if (id.length === 0) return `The ${kind} ID is empty: give 1 to 128 characters`;
  if (id.length > 128) return `The ${kind} ID is ${id.length} characters long: the limit is 128`;
  return `The ${kind} ID '${id.slice(0, 140)}' has characters that are not allowed: use only ${chars}`;
}

export function assertDeviceId(id: string): string {
  if (!DEVICE_ID.test(id))
    throw new RegistryError('ArgumentInvalid', describe('device', id, DEVICE_CHARS));
  return id;
}

export function assertModuleId(id: string): string {
  if (!MODULE_ID.test(id))
    throw new RegistryError('ArgumentInvalid', describe('module', id, MODULE_CHARS));
  return id;
}
