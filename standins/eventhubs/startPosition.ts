/** Where a receiver starts, as the SDK's `apache.org:selector-filter:string` says. */
export type StartPosition =
  | { kind: 'latest' }
  | {
      kind: 'offset' | 'sequenceNumber' | 'enqueuedTime';
      value: number;
      inclusive: boolean;
    };

const SELECTOR =
  /^amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'$/i;

const KINDS = {
  offset: 'offset',
  'sequence-number': 'sequenceNumber',
  'enqueued-time': 'enqueuedTime',
} as const;

/**
 * Parses the selector the SDK sends (`amqp.annotation.x-opt-offset > '-1'` for the earliest
 * event, `> '@latest'` for new events only). No filter means the start of the stream, as on
 * the service. Returns null for a selector it does not know.
 */
export function parseStartPosition(selector: string | null): StartPosition | null {
  if (selector === null) return { kind: 'offset', value: -1, inclusive: false };
  const match = SELECTOR.exec(selector.trim());
  if (!match) return null;
  const [, field, operator, raw] = match;
  const kind = KINDS[field!.toLowerCase() as keyof typeof KINDS];
  if (kind === 'offset' && raw === '@latest') return { kind: 'latest' };
  const value = Number(raw);
  if (raw === '' || !Number.isSafeInteger(value)) return null;
  return { kind, value, inclusive: operator === '>=' };
}

/** The selector from a receiver link's source (a described string, or a plain one). */
export function selectorOf(source: unknown): string | null {
  const filter = (source as { filter?: Record<string, unknown> } | undefined)?.filter;
  const value = filter?.['apache.org:selector-filter:string'];
  if (typeof value === 'string') return value;
  const described = (value as { value?: unknown } | undefined)?.value;
  return typeof described === 'string' ? described : null;
}
