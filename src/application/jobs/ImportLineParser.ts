import type { BulkEntry } from '../BulkEntry';

/** Turns one line of an import file into an entry, or throws a RegistryError saying what is wrong. */
export type ImportLineParser = (line: string) => BulkEntry;
