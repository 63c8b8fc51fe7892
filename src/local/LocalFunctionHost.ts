import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { errorResponse } from '../http/errorResponse';
import type { HttpRoute } from '../http/HttpRoute';
import type { Logger } from '../ports/Logger';
import { compileRoute, type RouteMatcher } from './compileRoute';

/** Bodies larger than this are refused by the host itself, as the Functions host caps them too. */
const HOST_BODY_LIMIT = 4 * 1024 * 1024;

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

  constructor(
    routes: readonly HttpRoute[],
    private readonly logger: Logger,
  ) {
    this.routes = routes.map((route) => ({ route, match: compileRoute(route.route) }));
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
    const body = await readBody(req);
    if (body === null) {
      return this.write(
        res,
        errorResponse('MessageTooLarge', 'The request body is too large'),
        true,
      );
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
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      params: found.params,
      body: { bytes: body },
    });
    const context = new InvocationContext({
      functionName: found.route.name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => {
        if (level === 'error' || level === 'critical')
          this.logger.error(
            args.map(String).join(' '),
            args.find((a) => a instanceof Error),
          );
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
    });
    this.write(res, await found.route.handler(request, context));
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

/** The whole body, or null when it exceeds the host limit. */
function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > HOST_BODY_LIMIT) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
