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

export const needsETag = (mode: ImportMode): boolean => mode.endsWith('IfMatchETag');
