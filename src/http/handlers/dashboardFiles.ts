import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { errorResponse } from '../errorResponse';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The page may talk to this origin only, run only its own scripts, and never be framed: a
 * credential pasted into it can go nowhere else.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The app's root: the nearest folder above `from` holding host.json (the Function App's root). */
export function appRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'host.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No host.json above ${from}`);
  }
}

/**
 * Serves the dashboard's static files (the `dashboard/` folder beside `src/`, deployed with the
 * app) under `ui/`. Anonymous: the files hold no data; every read the page makes goes through the
 * authenticated API with the operator's own token.
 */
export function dashboardFiles(folder?: string): HttpHandler {
  let root: string | undefined;
  const cache = new Map<string, Buffer>();
  const notFound = (what: string) =>
    errorResponse('NotFound', `The dashboard has no file '${what.slice(0, 100)}'`);
  return async (request): Promise<HttpResponseInit> => {
    const path = request.params.path ?? '';
    // Relative links in the page need the folder's trailing slash. The Location is relative
    // (`ui/` against `…/ui`): built from the request's path, `//ui` would send the browser to
    // the host `ui`.
    const pathname = new URL(request.url).pathname;
    if (path === '' && !pathname.endsWith('/'))
      return { status: 308, headers: { location: `${pathname.split('/').pop() ?? 'ui'}/` } };
    root ??= resolve(folder ?? join(appRoot(__dirname), 'dashboard'));
    const file = resolve(root, path === '' ? 'index.html' : path);
    const type = TYPES[extname(file)];
    if (!file.startsWith(root + sep) || type === undefined) return notFound(path);
    let body = cache.get(file);
    if (body === undefined) {
      try {
        body = await readFile(file);
      } catch {
        return notFound(path);
      }
      cache.set(file, body);
    }
    return { status: 200, headers: { 'content-type': type, ...SECURITY_HEADERS }, body };
  };
}
