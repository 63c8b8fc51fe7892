import type { LivenessEvent } from './LivenessEvent';
import type { SkipReason } from './SkipReason';

/** A parsed event, or why it is skipped (counted, never a crash). */
export type ParseResult =
  { ok: true; event: LivenessEvent } | { ok: false; skip: SkipReason; reason: string };
