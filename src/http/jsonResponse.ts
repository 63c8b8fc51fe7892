import type { HttpResponseInit } from '@azure/functions';

/** The SDK ignores reply bodies without exactly this media type and charset (CONTRACT.md). */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: JSON.stringify(value),
  };
}

/** A single-identity reply carries its etag as a quoted ETag header. */
export const identityResponse = (value: { etag: string }): HttpResponseInit =>
  jsonResponse(200, value, { etag: `"${value.etag}"` });
