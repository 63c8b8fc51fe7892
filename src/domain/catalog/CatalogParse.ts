import type { CatalogChange } from './applyCatalogChange';

/** A notification as the catalog reads it. */
export type CatalogParse =
  | { ok: true; change: CatalogChange }
  | { ok: false; reason: string }
  /** Not a lifecycle or twin change notification (telemetry shares the hub): nothing to do. */
  | { ok: 'skip' };
