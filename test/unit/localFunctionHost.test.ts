import { createServer, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRoute } from '../../src/http/HttpRoute';
import { BodyBudget } from '../../local/BodyBudget';
import { close, listen } from '../../local/listen';
import { HOST_BODY_LIMIT, LocalFunctionHost } from '../../local/LocalFunctionHost';
import { silentLogger } from '../../src/ports/Logger';

/** A POST whose body arrives in `chunks` pieces; resolves with the status and body. */
function post(
  port: number,
  path: string,
  body: Buffer,
  { chunked = false, headers = {} }: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: chunked ? headers : { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 256 * 1024) req.write(body.subarray(i, i + 256 * 1024));
    req.end();
  });
}

const doc = { summary: 'a test route', success: [200, null] as [number, null], errors: [] };

describe('the local host reads bodies only when asked, within its limits', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await close(server);
    server = undefined;
  });

  async function serve(routes: HttpRoute[], budget?: BodyBudget, tlsOnly?: string[]) {
    const host = new LocalFunctionHost(routes, silentLogger, {
      ...(budget ? { bodyBudget: budget } : {}),
      ...(tlsOnly ? { tlsOnly, tlsUrl: () => 'https://localhost:7443' } : {}),
    });
    server = createServer(host.listener);
    return listen(server, 0, '127.0.0.1', 'test host');
  }

  const echo = (gate?: Promise<void>): HttpRoute => ({
    name: 'echo',
    methods: ['POST'],
    route: 'echo',
    doc,
    handler: async (req) => {
      const text = await req.text();
      await gate;
      return { status: 200, body: String(text.length) };
    },
  });

  it('hands the handler the whole body, chunked or not', async () => {
    const port = await serve([echo()]);
    const body = Buffer.alloc(700_000, 0x61);
    expect(await post(port, '/echo', body)).toEqual({ status: 200, text: '700000' });
    expect(await post(port, '/echo', body, { chunked: true })).toEqual({
      status: 200,
      text: '700000',
    });
  });

  it('never reads the body of a request its handler refuses without reading', async () => {
    const budget = new BodyBudget(1024);
    const port = await serve(
      [
        {
          name: 'refuse',
          methods: ['POST'],
          route: 'refuse',
          doc,
          handler: () => Promise.resolve({ status: 401 }),
        },
      ],
      budget,
    );
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(port, '/refuse', Buffer.alloc(2_000_000)).catch(() => null),
      ),
    );
    // The host hangs up on unread bodies: a caller still sending may miss the answer.
    expect(replies.filter((r) => r !== null).every((r) => r.status === 401)).toBe(true);
    expect(budget.heldBytes).toBe(0);
  });

  it('answers 503 with Retry-After when bodies being read would pass the budget, and gives it back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const budget = new BodyBudget(1_000_000);
    const port = await serve([echo(gate)], budget);
    const first = post(port, '/echo', Buffer.alloc(800_000));
    await expect.poll(() => budget.heldBytes).toBe(800_000);
    const second = await post(port, '/echo', Buffer.alloc(800_000));
    expect(second.status).toBe(503);
    expect(second.text).toContain('ServiceUnavailable');
    release();
    expect((await first).status).toBe(200);
    expect(budget.heldBytes).toBe(0);
    expect((await post(port, '/echo', Buffer.alloc(800_000))).status).toBe(200);
  });

  it('answers 413 for a body over the host limit, declared or streamed', async () => {
    const port = await serve([echo()]);
    const big = Buffer.alloc(HOST_BODY_LIMIT + 1);
    const declared = await post(port, '/echo', big).catch(() => ({ status: 413, text: 'reset' }));
    expect(declared.status).toBe(413);
    const streamed = await post(port, '/echo', big, { chunked: true }).catch(() => ({
      status: 413,
      text: 'reset',
    }));
    expect(streamed.status).toBe(413);
  });

  it('answers a TLS-only route over plain HTTP with a 400 naming the HTTPS address', async () => {
    const port = await serve([echo()], undefined, ['echo']);
    const reply = await post(port, '/echo', Buffer.from('x'));
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('https://localhost:7443/echo');
  });
});
