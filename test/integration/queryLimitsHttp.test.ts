import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BYTES } from '../../src/adapters/cosmos/CosmosTwinQueryStore';
import { MAX_NESTING } from '../../src/domain/query/parseTwinQuery';
import { api, errorCode, uniqueId } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const messageOf = (reply: { json?: { Message?: string } }) => reply.json?.Message ?? '';
const query = (q: string, headers: Record<string, string> = {}, baseUrl?: string) =>
  api('POST', '/devices/query', {
    body: { query: q },
    headers,
    ...(baseUrl ? { baseUrl } : {}),
  });

/** What a refused query's message must name: the limit it passed. */
const NAMES_A_LIMIT =
  /nested more than \d+ levels|compiles to \d+ characters of SQL|more than \d+ values|characters long/;

/** A deterministic stream of numbers in [0, 1), so a failure names a reproducible query. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Conditions of every nesting kind, all true for a device whose tags.k is 'v' and tags.n is 1. */
function nestedShapes(deviceId: string): [string, string][] {
  const id = `deviceId = '${deviceId}'`;
  const shapes: [string, (n: number) => string][] = [
    ['parentheses', (n) => `${'('.repeat(n)}${id}${')'.repeat(n)}`],
    ['NOT chain', (n) => `${'NOT '.repeat(2 * n)}${id}`],
    ['NOT (', (n) => `${'NOT ('.repeat(2 * n)}${id}${')'.repeat(2 * n)}`],
    ['LOWER', (n) => `${'LOWER('.repeat(n)}tags.k${')'.repeat(n)} = 'v' AND ${id}`],
    ['UPPER', (n) => `${'UPPER('.repeat(n)}tags.k${')'.repeat(n)} = 'V' AND ${id}`],
    [
      'NOT (… OR NOT (…))',
      (n) =>
        Array.from({ length: n }).reduce<string>(
          (inner) => `NOT (tags.k = 'w' OR NOT (${inner}))`,
          id,
        ),
    ],
    [
      'STARTSWITH(LOWER(…)) under AND/OR',
      (n) =>
        `${'(tags.n = 2 OR '.repeat(n)}STARTSWITH(${'LOWER('.repeat(n)}tags.k${')'.repeat(n)}, 'v')${')'.repeat(n)} AND ${id}`,
    ],
    [
      'IN under NOT and parentheses',
      (n) =>
        `${'NOT (tags.n IN [7, 8] OR NOT ('.repeat(n)}tags.n IN [1, 2, 3]${'))'.repeat(n)} AND ${id}`,
    ],
    [
      'IS_DEFINED and ENDSWITH with UPPER',
      (n) =>
        `IS_DEFINED(${'UPPER('.repeat(n)}tags.k${')'.repeat(n)}) AND ENDSWITH(${'LOWER('.repeat(n)}tags.k${')'.repeat(n)}, 'v') AND ${id}`,
    ],
  ];
  const out: [string, string][] = [];
  for (const [kind, make] of shapes)
    for (const n of [1, 3, 5, 6, 7, 10, 11, 12, 13, 16, 24, 40])
      out.push([`${kind} × ${n}`, make(n)]);
  const flat = (n: number, op: string) =>
    Array.from({ length: n }, (_, i) => `tags.n = ${i + 1}`).join(` ${op} `);
  for (const n of [10, 100, 300, 500]) out.push([`flat OR × ${n}`, `(${flat(n, 'OR')}) AND ${id}`]);
  for (const n of [10, 100, 300])
    out.push([
      `flat AND × ${n}`,
      `${Array.from({ length: n }, () => "tags.k = 'v'").join(' AND ')} AND ${id}`,
    ]);
  for (const n of [10, 500, 1000, 1001, 3000])
    out.push([
      `IN with ${n} items`,
      `tags.n IN [${Array.from({ length: n }, (_, i) => i + 1).join(',')}] AND ${id}`,
    ]);
  // Random mixes of every construct, deeper than the limit about half of the time.
  const next = random(26);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] as T;
  const condition = (depth: number): string => {
    if (depth === 0) return pick(["tags.k = 'v'", 'tags.n IN [1, 5]', "STARTSWITH(tags.k, 'v')"]);
    const inner = condition(depth - 1);
    return pick([
      `(${inner})`,
      `NOT NOT (${inner})`,
      `(${inner} OR tags.n = 9)`,
      `(${inner} AND IS_DEFINED(tags.k))`,
      `(LOWER(tags.k) = 'v' AND ${inner})`,
    ]);
  };
  for (let i = 0; i < 40; i++) {
    const depth = 1 + Math.floor(next() * 14);
    out.push([`random mix ${i} (depth ${depth})`, `${condition(depth)} AND ${id}`]);
  }
  return out;
}

describe('query cost is bounded before it reaches the store', () => {
  let deviceId: string;
  beforeAll(async () => {
    deviceId = uniqueId('qlim');
    expect((await api('PUT', `/devices/${deviceId}`, { body: {} })).status).toBe(200);
    const tagged = await api('PATCH', `/twins/${deviceId}`, { body: { tags: { k: 'v', n: 1 } } });
    expect(tagged.status, tagged.text).toBe(200);
  });

  it('answers every nested shape within a second: 200 with the device, or a 400 naming the limit', async () => {
    const shapes = nestedShapes(deviceId);
    let answered = 0;
    let refused = 0;
    for (const [kind, where] of shapes) {
      const text = `SELECT deviceId FROM devices WHERE ${where}`;
      const started = performance.now();
      const reply = await query(text);
      const took = performance.now() - started;
      expect(took, `${kind} took ${Math.round(took)} ms`).toBeLessThan(1000);
      if (reply.status === 200) {
        expect(reply.json, kind).toEqual([{ deviceId }]);
        answered++;
      } else {
        expect(reply.status, `${kind}: ${reply.text}`).toBe(400);
        expect(errorCode(reply), kind).toBe('BadRequest');
        expect(messageOf(reply), kind).toMatch(NAMES_A_LIMIT);
        refused++;
      }
    }
    // Both sides of every limit were exercised.
    expect(answered).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(30);
  });

  it("refuses the security probe's queries or answers them at once", async () => {
    const lower = await query(
      `SELECT deviceId FROM devices WHERE ${'LOWER('.repeat(10)}deviceId${')'.repeat(10)} = '${deviceId.toLowerCase()}'`,
    );
    expect(lower.status, lower.text).toBe(200);
    const notOrNot = Array.from({ length: 7 }).reduce<string>(
      (inner) => `NOT (tags.k = 'w' OR NOT (${inner}))`,
      `deviceId = '${deviceId}'`,
    );
    const deep = await query(`SELECT deviceId FROM devices WHERE ${notOrNot}`);
    expect(deep.status).toBe(400);
    expect(messageOf(deep)).toMatch(
      new RegExp(
        `^ErrorCode:BadRequest;Query syntax error at position \\d+ at '[^']+': nested more than ${MAX_NESTING} levels`,
      ),
    );
    const started = performance.now();
    expect((await api('GET', `/devices/${deviceId}`)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['SELECT deviceId AS __proto__ FROM devices', '__proto__'],
    ['SELECT COUNT() AS constructor FROM devices', 'constructor'],
    ['SELECT tags.__proto__ FROM devices', '__proto__'],
    ["SELECT * FROM devices WHERE properties.reported.prototype.x = 'y'", 'prototype'],
  ])('refuses %j with a 400 naming %s', async (q, name) => {
    const reply = await query(q);
    expect(reply.status).toBe(400);
    expect(errorCode(reply)).toBe('BadRequest');
    expect(messageOf(reply)).toContain(`'${name}' cannot be`);
  });
});

describe('query pages are bounded by bytes', () => {
  it('ends a page of large twins early with a continuation, and pages through each twin once', async () => {
    const batch = uniqueId('big');
    const pad = (c: string) =>
      Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`p${i}`, c.repeat(4000)]));
    const ids = Array.from({ length: 100 }, (_, i) => `${batch}-${i}`);
    const work = [...ids];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let id = work.pop(); id !== undefined; id = work.pop()) {
          expect((await api('PUT', `/devices/${id}`, { body: {} })).status).toBe(200);
          const patched = await api('PATCH', `/twins/${id}`, {
            body: { tags: { batch, ...pad('t') }, properties: { desired: pad('d') } },
          });
          expect(patched.status, patched.text).toBe(200);
        }
      }),
    );

    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | null = null;
    do {
      const page = await query(`SELECT * FROM devices WHERE tags.batch = '${batch}'`, {
        'x-ms-max-item-count': '1000',
        ...(token ? { 'x-ms-continuation': token } : {}),
      });
      expect(page.status, page.text.slice(0, 200)).toBe(200);
      seen.push(...(page.json as { deviceId: string }[]).map((t) => t.deviceId));
      sizes.push((page.json as unknown[]).length);
      // Past the budget by one twin at most (each is about 57 KB).
      expect(Buffer.byteLength(page.text)).toBeLessThan(PAGE_BYTES + 128 * 1024);
      token = page.headers.get('x-ms-continuation');
    } while (token);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes[0]).toBeLessThan(100);
    expect(seen.sort()).toEqual([...ids].sort());
  });
});

describe('the query time budget', () => {
  let slow: TestRuntime;
  beforeAll(async () => {
    // A budget no query can meet: every query runs out of time.
    slow = await startTestRuntime({ QUERY_TIMEOUT_SECONDS: '0.001' });
  });
  afterAll(() => slow?.stop());

  it('answers 503 ServiceUnavailable with Retry-After, and leaves the store free', async () => {
    const bulk = await api('POST', '/devices', {
      baseUrl: slow.url,
      body: Array.from({ length: 100 }, (_, i) => ({ id: `slow-${i}`, importMode: 'create' })),
    });
    expect(bulk.status, bulk.text).toBe(200);
    const reply = await query(
      "SELECT * FROM devices WHERE STARTSWITH(LOWER(deviceId), 'slow')",
      { 'x-ms-max-item-count': '1000' },
      slow.url,
    );
    expect(reply.status, reply.text).toBe(503);
    expect(errorCode(reply)).toBe('ServiceUnavailable');
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(messageOf(reply)).toMatch(/took longer than 0\.001 s \(QUERY_TIMEOUT_SECONDS\)/);
    const started = performance.now();
    const read = await api('GET', '/devices/slow-7', { baseUrl: slow.url });
    expect(read.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
