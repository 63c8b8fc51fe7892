import type { HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../domain/errors/ErrorCode';
import type { RegistryError } from '../domain/errors/RegistryError';
import { ERROR_STATUS } from './errorStatus';
import { JSON_CONTENT_TYPE } from './jsonResponse';

/** IoT Hub's "MM/dd/yyyy HH:mm:ss" in the tracking message. */
function hubTimestamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(now.getUTCMonth() + 1)}/${p(now.getUTCDate())}/${now.getUTCFullYear()} ${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}`;
}

/** The wire error: `ErrorCode:<Name>;<text>` body and the `iothub-errorcode` header. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  extraHeaders: Record<string, string> = {},
): HttpResponseInit {
  const trackingId = randomUUID().replace(/-/g, '');
  return {
    status: ERROR_STATUS[code],
    headers: { 'content-type': JSON_CONTENT_TYPE, 'iothub-errorcode': code, ...extraHeaders },
    body: JSON.stringify({
      Message: `ErrorCode:${code};${message.replace(/;/g, ',')}`,
      ExceptionMessage: `Tracking ID:${trackingId}-TimeStamp:${hubTimestamp(new Date())}`,
    }),
  };
}

/** The wire error for a RegistryError, with Retry-After when it says when to retry. */
export const registryErrorResponse = (error: RegistryError): HttpResponseInit =>
  errorResponse(
    error.code,
    error.message,
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) },
  );
