import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { authorizeServiceRequest } from '../domain/auth/authorizeServiceRequest';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import { isRegistryError } from '../domain/errors/RegistryError';
import { METHOD_LIMITS, methodRelayResource } from '../domain/methods/DirectMethodCall';
import type { JsonValue } from '../domain/twin/Twin';
import type { Clock } from '../ports/Clock';
import type { Logger } from '../ports/Logger';
import type { MethodCalls } from './MethodCalls';

const MAX_BODY_BYTES = METHOD_LIMITS.payloadBytes + 8 * 1024;

const relayedCall = z.object({
  deviceId: z.string().min(1),
  moduleId: z.string().min(1).nullable(),
  methodName: z.string().min(1),
  payload: z.unknown(),
  responseTimeoutSeconds: z
    .number()
    .min(METHOD_LIMITS.minResponseTimeoutSeconds)
    .max(METHOD_LIMITS.maxResponseTimeoutSeconds),
});

export interface MethodsListenerDeps {
  calls: MethodCalls;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  hostNames: readonly string[];
  clock: Clock;
  logger: Logger;
}

/**
 * The endpoint's internal listener for direct method calls relayed by the Function App
 * (HttpMethodRelay): `POST /methods`, authorized by a ServiceConnect token that covers the
 * identity's method resource, answered with the device's `{status, payload}`, or 404
 * DeviceNotOnline / 504 GatewayTimeout. Nothing else is served.
 */
export class MethodsListener {
  private server: Server | undefined;
  port = 0;

  constructor(private readonly deps: MethodsListenerDeps) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer({ requestTimeout: 0 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.deps.logger.error('MQTT: a relayed method call failed', error);
        reply(res, 500, { code: 'ServerError', message: 'The call failed' });
      });
    });
    server.headersTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/methods')
      return reply(res, 404, { code: 'NotFound', message: 'POST /methods only' });
    const body = await readBody(req);
    if (body === null) return reply(res, 413, { code: 'MessageTooLarge', message: 'Too large' });
    let parsed: z.infer<typeof relayedCall>;
    try {
      parsed = relayedCall.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return reply(res, 400, { code: 'ArgumentInvalid', message: 'Not a relayed method call' });
    }
    const ref = { deviceId: parsed.deviceId, moduleId: parsed.moduleId };
    const now = this.deps.clock.now();
    const authorization = req.headers.authorization ?? null;
    const allowed = this.deps.hostNames.some((host) => {
      try {
        authorizeServiceRequest(this.deps.policies, {
          authorization,
          resource: methodRelayResource(host, ref),
          right: 'ServiceConnect',
          now,
        });
        return true;
      } catch {
        return false;
      }
    });
    if (!allowed) return reply(res, 401, { code: 'IotHubUnauthorizedAccess', message: 'No' });
    try {
      const result = await this.deps.calls.call(
        ref,
        parsed.methodName,
        (parsed.payload ?? null) as JsonValue,
        parsed.responseTimeoutSeconds * 1000,
      );
      reply(res, 200, result);
    } catch (error) {
      if (!isRegistryError(error)) throw error;
      reply(res, error.code === 'DeviceNotOnline' ? 404 : 504, {
        code: error.code,
        message: error.message,
      });
    }
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body, or null once it passes the limit (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
