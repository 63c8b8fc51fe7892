import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { RegistryError } from '../domain/errors/RegistryError';
import { assertSafeJson } from '../domain/json/assertSafeJson';
import { formatZodError } from './schemas/formatZodError';

/** IoT Hub's limit for a request body. */
export const MAX_BODY_BYTES = 256 * 1024;

const tooLarge = () =>
  new RegistryError(
    'MessageTooLarge',
    `The request body is larger than ${MAX_BODY_BYTES / 1024} KB: send less per request`,
  );

/**
 * Reads, size-checks, parses and validates a JSON body; every failure is a 4xx that says why.
 * Every JSON body passes here, so this is where prototype keys and deep nesting are refused.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
  subject: string,
): Promise<z.output<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  if (text.trim() === '')
    throw new RegistryError('ArgumentNull', `The request has no body: send the ${subject} as JSON`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(
      'IotHubFormatError',
      `The body is not valid JSON (${(error as Error).message}): send the ${subject} as JSON`,
    );
  }
  assertSafeJson(json, subject);
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new RegistryError('ArgumentInvalid', formatZodError(parsed.error, subject));
  return parsed.data;
}
