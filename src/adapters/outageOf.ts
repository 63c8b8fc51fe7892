/** Socket-level failures: the peer is gone, refused, or does not answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // @azure/core-rest-pipeline
  'REQUEST_SEND_ERROR',
  // @azure/event-hubs (MessagingError codes)
  'ServiceCommunicationError',
  'ServiceUnavailableError',
  'ServerBusyError',
  'OperationTimeoutError',
  'ConnectionForcedError',
  'ConnectionLostError',
]);
const OUTAGE_STATUSES = new Set([408, 502, 503, 504]);
const NETWORK_TEXT = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up)\b/;

/** Failures that say the dependency is not there at all (nothing listens, no route). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ServiceCommunicationError',
]);

/** Whether an outage reason says the dependency is gone, not merely slow or reset once. */
export const isDefiniteOutage = (reason: string): boolean => UNREACHABLE.has(reason);

/**
 * Why an SDK call failed when the failure says the dependency is unreachable or not answering
 * (refused, reset, timed out, 503), as a short reason without addresses; null for every other
 * failure (a 404, a 412, a bug), which the caller handles as before. Reads the shapes the Azure
 * SDKs throw without importing them.
 */
export function outageOf(error: unknown, depth = 0): string | null {
  if (!error || typeof error !== 'object' || depth > 3) return null;
  const e = error as { code?: unknown; statusCode?: unknown; name?: unknown; message?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  const status = typeof e.statusCode === 'number' ? e.statusCode : e.code;
  if (typeof status === 'number' && OUTAGE_STATUSES.has(status)) return `status ${status}`;
  // Timeouts: the SDKs' own, and the abort signals this service sets on its calls.
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const text = typeof e.message === 'string' ? NETWORK_TEXT.exec(e.message) : null;
  if (text?.[1]) return text[1];
  // A connection tried on several addresses fails with all of them (AggregateError).
  const all = (error as { errors?: unknown }).errors;
  if (Array.isArray(all))
    for (const inner of all) {
      const found = outageOf(inner, depth + 1);
      if (found) return found;
    }
  return outageOf((error as { cause?: unknown }).cause, depth + 1);
}
