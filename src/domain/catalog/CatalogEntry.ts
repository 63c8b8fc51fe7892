import type { JsonObject } from '../twin/Twin';

/** One identity in a downstream metadata store kept in sync from lifecycle notifications. */
export interface CatalogEntry {
  deviceId: string;
  moduleId: string | null;
  /** Devices only; null for modules and for a deleted device. */
  status: 'enabled' | 'disabled' | null;
  generationId: string | null;
  /** The identity's twin tags, kept current from lifecycle and twin change notifications. */
  tags: JsonObject;
  /** The lifecycle sequence of the notification this entry reflects. */
  sequence: number;
  deleted: boolean;
  /** The operation and time of that notification. */
  lastChange: string;
  lastChangeTime: string;
}
