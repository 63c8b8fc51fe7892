import type { DeviceInput } from '../domain/identity/DeviceIdentity';
import type { ImportMode } from '../domain/identity/ImportMode';
import type { ModuleInput } from '../domain/identity/ModuleIdentity';
import type { TwinChange } from '../domain/twin/updateTwinState';

/** One validated line of a bulk request or import file. */
export interface BulkEntry {
  deviceId: string;
  moduleId?: string | undefined;
  importMode: ImportMode;
  etag?: string | undefined;
  device: DeviceInput;
  module: ModuleInput;
  /** Twin sections the entry sets (tags, desired properties), if it has any. */
  twin?: TwinChange | undefined;
}

export interface BulkEntryError {
  deviceId: string;
  moduleId?: string;
  errorCode: string;
  errorStatus: string;
}

export interface BulkResult {
  isSuccessful: boolean;
  errors: BulkEntryError[];
  warnings: BulkEntryError[];
}
