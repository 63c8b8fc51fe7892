import {
  HttpRequest,
  InvocationContext,
  type HttpRequestInit,
  type HttpResponseInit,
} from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { errorResponse } from '../src/http/errorResponse';
import type { HttpRoute } from '../src/http/HttpRoute';
import type { Logger } from '../src/ports/Logger';
import { BodyBudget } from './BodyBudget';
import { compileRoute, type RouteMatcher } from './compileRoute';
import { EVENT_GRID_WEBHOOK_PATH, type EventGridWebhook } from './EventGridWebhook';

/** Bodies larger than this are refused by the host itself, as the Functions host caps them too. */
export const HOST_BODY_LIMIT = 4 * 1024 * 1024;
/** Request bodies held at once, over all requests (see BodyBudget). */
export const HOST_BODY_BUDGET = 64 * 1024 * 1024;

export interface LocalFunctionHostOptions {
  /** Routes (by name) answered over TLS only, as IoT Hub's device endpoint is. */
  tlsOnly?: readonly string[];
  /** Where to send callers of a TLS-only route that came over plain HTTP. */
  tlsUrl?: () => string;
  bodyBudget?: BodyBudget;
  /** The runtime's Event Grid webhook, at EVENT_GRID_WEBHOOK_PATH. */
  eventGrid?: EventGridWebhook;
}

/** Why a body stopped being read before its end. */
type BodyRefusal = 'tooLarge' | 'busy';

interface MountedRoute {
  route: HttpRoute;
  match: RouteMatcher;
}

/**
 * Serves HTTP function registrations outside the Functions host: the same route table that
 * `functions/` registers with `app.http`, invoked with real HttpRequest/InvocationContext objects.
 */
export class LocalFunctionHost {
  private readonly routes: MountedRoute[];
  private readonly budget: BodyBudget;

  constructor(
    routes: readonly HttpRoute[],
    private readonly logger: Logger,
    private readonly options: LocalFunctionHostOptions = {},
  ) {
    this.routes = routes.map((route) => ({ route, match: compileRoute(route.route) }));
    this.budget = options.bodyBudget ?? new BodyBudget(HOST_BODY_BUDGET);
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((error: unknown) => {
      this.logger.error('Local host failed to answer a request', error);
      if (!res.headersSent)
        this.write(res, errorResponse('ServerError', 'The host failed unexpectedly'));
      else res.destroy();
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = originFormUrl(req);
    if (url === null) {
      req.resume();
      return this.write(
        res,
        errorResponse(
          'ArgumentInvalid',
          'The request target must be a path that begins with a single / (no absolute URI, no //host)',
        ),
      );
    }
    if (this.options.eventGrid && url.pathname.replace(/\/+$/, '') === EVENT_GRID_WEBHOOK_PATH)
      return this.serveWebhook(this.options.eventGrid, req, res, url);
    const segments = url.pathname.replace(/^\/+|\/+$/g, '').split('/');
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    let found: { route: HttpRoute; params: Record<string, string> } | undefined;
    try {
      for (const { route, match } of this.routes) {
        const params = match(segments);
        if (!params) continue;
        pathMatched = true;
        if (route.methods.includes(method as HttpRoute['methods'][number])) {
          found = { route, params };
          break;
        }
      }
    } catch {
      req.resume();
      return this.write(
        res,
        errorResponse('ArgumentInvalid', 'The path is not validly percent-encoded'),
      );
    }
    if (!found) {
      req.resume();
      return this.write(
        res,
        pathMatched
          ? errorResponse('MethodNotAllowed', `${method} is not supported on ${url.pathname}`)
          : errorResponse(
              'NotFound',
              `No operation at ${url.pathname}: see the README for the API`,
            ),
      );
    }
    if (!('encrypted' in req.socket) && this.options.tlsOnly?.includes(found.route.name)) {
      req.resume();
      return this.write(
        res,
        errorResponse(
          'BadRequest',
          `The device endpoint answers over HTTPS only: send to ${this.options.tlsUrl?.() ?? 'the HTTPS port'}${url.pathname}`,
        ),
        true,
      );
    }
    if (Number(req.headers['content-length'] ?? 0) > HOST_BODY_LIMIT) {
      return this.write(res, tooLarge(), true);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    // As App Service does: the client certificate of the TLS connection, never a client's header.
    delete headers['x-arr-clientcert'];
    if (req.socket instanceof TLSSocket) {
      const peer = req.socket.getPeerCertificate();
      if (peer && peer.raw) headers['x-arr-clientcert'] = peer.raw.toString('base64');
    }
    // The body is read only when the handler asks for it (after it authorized the caller),
    // as the Functions library's own streaming requests are built; bodies it never asks for
    // are never buffered.
    const taken = { bytes: 0, refused: undefined as BodyRefusal | undefined };
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new HttpRequest({
      nativeRequest: new Request(url, {
        method,
        headers,
        ...(hasBody ? { body: this.limited(req, taken), duplex: 'half' } : {}),
      }),
      params: found.params,
    } as HttpRequestInit);
    const context = new InvocationContext({
      functionName: found.route.name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => {
        // A body the host cut off is answered by the host, not logged as the handler's failure.
        if (taken.refused) return;
        if (level === 'error' || level === 'critical')
          this.logger.error(
            args.map(String).join(' '),
            args.find((a) => a instanceof Error),
          );
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
    });
    try {
      // A body cut off by the host's limits is answered as such, whatever the handler made of it.
      const response = await Promise.resolve(found.route.handler(request, context)).catch(
        (error: unknown) => {
          if (taken.refused) return refusal(taken.refused);
          throw error;
        },
      );
      this.write(res, taken.refused ? refusal(taken.refused) : response, !req.complete);
    } finally {
      this.budget.give(taken.bytes);
    }
  }

  /** The Event Grid webhook: the body read within the host's limits, as a route's is. */
  private async serveWebhook(
    webhook: EventGridWebhook,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    if (Number(req.headers['content-length'] ?? 0) > HOST_BODY_LIMIT)
      return this.write(res, tooLarge(), true);
    const taken = { bytes: 0, refused: undefined as BodyRefusal | undefined };
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    let read = false;
    try {
      const response = await webhook
        .handle({
          method: (req.method ?? 'GET').toUpperCase(),
          url,
          headers,
          text: async () => {
            read = true;
            const chunks: Buffer[] = [];
            for await (const chunk of this.limited(req, taken)) chunks.push(chunk);
            return Buffer.concat(chunks).toString('utf8');
          },
        })
        .catch((error: unknown) => {
          if (taken.refused) return refusal(taken.refused);
          throw error;
        });
      if (!read) req.resume();
      this.write(res, taken.refused ? refusal(taken.refused) : response, !req.complete);
    } finally {
      this.budget.give(taken.bytes);
    }
  }

  /** The request's body as it arrives, within the size limit and the host's budget. */
  private async *limited(
    req: IncomingMessage,
    taken: { bytes: number; refused: BodyRefusal | undefined },
  ): AsyncGenerator<Buffer> {
    // Stopping early must leave the socket open, for the answer that says why.
    const chunks = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    for await (const chunk of chunks) {
      if (taken.bytes + chunk.length > HOST_BODY_LIMIT) taken.refused = 'tooLarge';
      else if (!this.budget.take(chunk.length)) taken.refused = 'busy';
      if (taken.refused) throw new Error(`The request body was refused (${taken.refused})`);
      taken.bytes += chunk.length;
      yield chunk;
    }
  }

  private write(res: ServerResponse, response: HttpResponseInit, close = false): void {
    const headers = new Headers(response.headers);
    let body: string | Buffer | undefined;
    if (response.jsonBody !== undefined) {
      body = JSON.stringify(response.jsonBody);
      if (!headers.has('content-type'))
        headers.set('content-type', 'application/json; charset=utf-8');
    } else if (typeof response.body === 'string') body = response.body;
    else if (response.body instanceof Uint8Array) body = Buffer.from(response.body);
    else if (response.body !== undefined && response.body !== null)
      throw new Error('Unsupported response body type');
    const out: Record<string, string | number> = Object.fromEntries(headers.entries());
    out['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
    if (close) out.connection = 'close';
    res.writeHead(response.status ?? 200, out);
    res.end(body);
  }
}

const tooLarge = () =>
  errorResponse(
    'MessageTooLarge',
    `The request body is larger than ${HOST_BODY_LIMIT / 1024 / 1024} MB: send less per request`,
  );

const refusal = (why: BodyRefusal): HttpResponseInit =>
  why === 'tooLarge'
    ? tooLarge()
    : errorResponse(
        'ServiceUnavailable',
        'The host is busy reading other requests: retry after 1 second',
        {
          'retry-after': '1',
        },
      );

/**
 * The request's URL, or null unless its target is a plain path (origin form). An absolute URI
 * (`GET http://other.example/…`) or a `//host/…` path would otherwise name the URL's host, and
 * dot segments can turn `/.//ui` into `//ui`: no route begins with an empty segment.
 */
function originFormUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/') || target.startsWith('//')) return null;
  try {
    const url = new URL(
      target,
      `${'encrypted' in req.socket ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
    );
    return url.pathname.startsWith('//') ? null : url;
  } catch {
    return null; // a Host header that is no host
  }
}
