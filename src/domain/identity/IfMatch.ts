/** The precondition of a write, from the If-Match header (RFC 7232, as IoT Hub reads it). */
export type IfMatch = { kind: 'none' } | { kind: 'any' } | { kind: 'etag'; etag: string };

export function parseIfMatch(header: string | null | undefined): IfMatch {
  if (header === null || header === undefined || header.trim() === '') return { kind: 'none' };
  let value = header.trim();
  if (value.startsWith('W/')) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value === '*' ? { kind: 'any' } : { kind: 'etag', etag: value };
}
