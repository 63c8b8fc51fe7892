import { JobFailure } from '../../domain/jobs/JobFailure';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'REQUEST_SEND_ERROR',
]);

/** Where a redirect pointed, as its host alone (the rest may carry a signature). */
function redirectTarget(error: {
  request?: { url?: unknown };
  response?: { headers?: { get?(name: string): unknown } };
}): string {
  const location = error.response?.headers?.get?.('location');
  const base = typeof error.request?.url === 'string' ? error.request.url : undefined;
  if (typeof location !== 'string') return '';
  try {
    return ` to ${new URL(location, base).host}`;
  } catch {
    return '';
  }
}

/**
 * Turns what storage answered into a failure the customer can act on. Server-side trouble (5xx)
 * passes through unchanged: the queue delivers the job again and it resumes.
 */
export function storageFailure(
  error: unknown,
  label: string,
  access: 'read' | 'write',
  blobName: string,
): unknown {
  const e = error as {
    statusCode?: number;
    request?: { url?: unknown };
    response?: { headers?: { get?(name: string): unknown } };
    code?: string;
    details?: { errorCode?: string };
    cause?: { code?: string };
  } | null;
  const status = e?.statusCode;
  const code = e?.details?.errorCode ?? e?.code ?? e?.cause?.code;
  if (status === undefined || status === 0) {
    if (code && NETWORK_CODES.has(code))
      return new JobFailure(
        `The storage account of ${label} could not be reached (${code}): check the URI's host and that the account is online`,
      );
    return error;
  }
  if (status >= 300 && status < 400)
    return new JobFailure(
      `The storage account of ${label} answered with a redirect (${status}${redirectTarget(e ?? {})}), which a job never follows: give the container's own URI on its storage account`,
    );
  if (status === 403)
    return new JobFailure(
      `The SAS of ${label} does not allow this job to ${access} (${code ?? 'Forbidden'}): give a SAS that is valid for the job's whole run and has ${access === 'write' ? 'Write and Create' : 'Read'} permission`,
    );
  if (status === 404 && code === 'ContainerNotFound')
    return new JobFailure(`The container of ${label} does not exist: create it, or fix the URI`);
  if (status === 404)
    return new JobFailure(
      `There is no blob '${blobName}' in the container of ${label}: upload it, or name the right one in ${label === 'inputBlobContainerUri' ? 'inputBlobName' : 'outputBlobName'}`,
    );
  if (status === 412)
    return new JobFailure(
      `The blob '${blobName}' in the container of ${label} was replaced while the job ran: start a new job`,
    );
  if (status >= 400 && status < 500)
    return new JobFailure(
      `Storage refused to ${access} '${blobName}' in the container of ${label} (${status} ${code ?? ''}): check the URI and its SAS`,
    );
  return error;
}
