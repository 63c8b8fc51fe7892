/** One identity in a downstream metadata store kept in sync from lifecycle notifications. */
export interface CatalogEntry {
  deviceId: string;
  moduleId: string | null;
  /** Devices only; null for modules and for a deleted device. */
  status: 'enabled' | 'disabled' | null;
  generationId: string | null;
  /** The lifecycle sequence of the notification this entry reflects. */
  sequence: number;
  deleted: boolean;
  /** The operation and time of that notification. */
  lastChange: string;
  lastChangeTime: string;
}
