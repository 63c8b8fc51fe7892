export const IMPORT_MODES = [
  'create',
  'update',
  'updateIfMatchETag',
  'delete',
  'deleteIfMatchETag',
  'createOrUpdate',
  'createOrUpdateIfMatchETag',
] as const;

export type ImportMode = (typeof IMPORT_MODES)[number];

const byLowerCase = new Map<string, ImportMode>(IMPORT_MODES.map((m) => [m.toLowerCase(), m]));

/** Import modes are case-insensitive on the wire (the SDK sends `create` and `Update`). */
export const parseImportMode = (value: string): ImportMode | undefined =>
  byLowerCase.get(value.toLowerCase());

export const needsETag = (mode: ImportMode): boolean => mode.endsWith('IfMatchETag');
