import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import type { ServiceHandler } from '../httpEndpoint';
import { certificateFromHeader } from '../../domain/auth/certificateThumbprints';
import { isRegistryError, RegistryError } from '../../domain/errors/RegistryError';
import { assertSafeJson } from '../../domain/json/assertSafeJson';
import { isForbiddenKey } from '../../domain/json/forbiddenKeys';
import { assertDeviceId, assertModuleId } from '../../domain/identity/identityId';
import type { IncomingMessage } from '../../application/device/DeviceMessageIngress';
import { MAX_BODY_BYTES } from '../readJsonBody';
import { pathParam } from '../pathParam';
import { requestPath } from '../requestPath';

const BATCH_TYPE = 'application/vnd.microsoft.iothub.json';
const APP_PREFIX = 'iothub-app-';

const batchSchema = z
  .array(
    z.object({
      body: z.string(),
      properties: z.record(z.string(), z.string()).optional(),
      id: z.string().optional(),
      correlationId: z.string().optional(),
    }),
  )
  .min(1, 'The batch holds no messages')
  .max(500, 'A batch holds at most 500 messages');

const tooLarge = () =>
  new RegistryError(
    'MessageTooLarge',
    `The message is larger than ${MAX_BODY_BYTES / 1024} KB: send less per request`,
  );

function appProperties(entries: Iterable<[string, string]>): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!name.toLowerCase().startsWith(APP_PREFIX)) continue;
    const key = name.slice(APP_PREFIX.length);
    // A header is not JSON, but its name becomes a key all the same.
    if (isForbiddenKey(key))
      throw new RegistryError(
        'ArgumentInvalid',
        `The application property '${key}' is not allowed`,
      );
    props[key] = value;
  }
  return props;
}

async function readMessages(request: HttpRequest): Promise<IncomingMessage[]> {
  if (Number(request.headers.get('content-length') ?? '0') > MAX_BODY_BYTES) throw tooLarge();
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw tooLarge();
  if ((request.headers.get('content-type') ?? '').toLowerCase().startsWith(BATCH_TYPE)) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError(
        'IotHubFormatError',
        'The batch is not valid JSON: send [{"body":"<base64>","properties":{...}}]',
      );
    }
    assertSafeJson(json, 'batch');
    const parsed = batchSchema.safeParse(json);
    if (!parsed.success)
      throw new RegistryError(
        'IotHubFormatError',
        `The batch is malformed: ${parsed.error.issues[0]?.message ?? 'see the contract'}`,
      );
    return parsed.data.map((m) => ({
      body: Buffer.from(m.body, 'base64'),
      properties: appProperties(Object.entries(m.properties ?? {})),
      messageId: m.id,
      correlationId: m.correlationId,
    }));
  }
  return [
    {
      body,
      properties: appProperties(request.headers.entries()),
      messageId: request.headers.get('iothub-messageid') ?? undefined,
      correlationId: request.headers.get('iothub-correlationid') ?? undefined,
      contentType: request.headers.get('iothub-contenttype') ?? undefined,
      contentEncoding: request.headers.get('iothub-contentencoding') ?? undefined,
    },
  ];
}

/**
 * The identity a request is for. An ID that cannot exist cannot authenticate: 401, as IoT Hub
 * answers (the registry API answers 400 for the same ID, since there it is an input error).
 */
function identityOf(request: HttpRequest): { deviceId: string; moduleId: string | null } {
  try {
    return {
      deviceId: assertDeviceId(pathParam(request, 'deviceId')),
      moduleId:
        request.params.moduleId === undefined
          ? null
          : assertModuleId(pathParam(request, 'moduleId')),
    };
  } catch (error) {
    if (!isRegistryError(error) || error.code !== 'ArgumentInvalid') throw error;
    throw new RegistryError(
      'IotHubUnauthorizedAccess',
      `No identity can have this ID, so none can authenticate: ${error.message}`,
    );
  }
}

/** The device's credentials as the request carries them (a gateway forwards its certificate). */
function credentialsOf(request: HttpRequest) {
  const forwarded = request.headers.get('x-arr-clientcert');
  return {
    path: identityOf(request),
    authorization: request.headers.get('authorization'),
    clientCertificate: forwarded ? certificateFromHeader(forwarded) : null,
  };
}

/**
 * `GET /devices/{id}/messages/deviceBound`: a device polling for cloud-to-device messages. This
 * registry sends none: 204 (IoT Hub's "no message") to an authenticated device, 401 otherwise.
 */
export const deviceBound: ServiceHandler = async (request, services) => {
  await services.deviceIngress.pendingMessages(credentialsOf(request));
  return { status: 204 };
};

/**
 * `POST /devices/{id}/messages/events` (and the module path): the device-facing endpoint.
 * 204 when accepted; 401 for any authentication failure, with nothing published.
 */
export const deviceEvents: ServiceHandler = async (request, services) => {
  requestPath(request);
  await services.deviceIngress.accept(credentialsOf(request), () => readMessages(request));
  return { status: 204 };
};
