import parser = require('@zeit/cosmosdb-query/lib/parser');
import { CosmosClient, type Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosmosStandIn, type CosmosStandIn } from '../startCosmosStandIn';

// Captured before packratParser replaces it.
const generated = parser.parse;
let parse: (sql: string) => unknown;
let MAX_SQL_NESTING: number;
beforeAll(async () => {
  ({ MAX_SQL_NESTING } = await import('../packratParser'));
  parse = parser.parse;
});

const outcome = (p: (sql: string) => unknown, sql: string) => {
  try {
    return JSON.stringify(p(sql));
  } catch (error) {
    const e = error as Error & { location?: unknown };
    return `${e.name}: ${e.message} ${JSON.stringify(e.location)}`;
  }
};

const WHERE = "SELECT * FROM c WHERE c.kind = 'twin' AND ";
/** Each kind of nesting, `n` levels deep. */
const NESTED: Record<string, (n: number) => string> = {
  parentheses: (n) => `${'('.repeat(n)}c["deviceId"] = @p0${')'.repeat(n)}`,
  LOWER: (n) => `${'LOWER('.repeat(n)}c["deviceId"]${')'.repeat(n)} = @p0`,
  'NOT (': (n) => `${'NOT ('.repeat(n)}c["deviceId"] = @p0${')'.repeat(n)}`,
  'NOT (… OR …)': (n) =>
    Array.from({ length: n }).reduce<string>((s) => `NOT (c["x"] = @p1 OR ${s})`, 'c.a = @p0'),
  'STARTSWITH(LOWER(…))': (n) => `STARTSWITH(${'LOWER('.repeat(n)}c["a"]${')'.repeat(n)}, @p0)`,
  'IN inside parentheses': (n) => `${'('.repeat(n)}c["a"] IN (@p0, @p1)${')'.repeat(n)}`,
};

describe("the stand-in's SQL parser", () => {
  it('builds the same trees, and the same syntax errors, as the generated parser', () => {
    const corpus = [
      'SELECT * FROM c',
      "SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'twin' AND NOT IS_DEFINED(c.moduleId)",
      'SELECT VALUE {"a": c["x"]["y"], "b": null} FROM c WHERE (c.a = @p0 OR c.b IN (@p1, @p2)) AND NOT (STARTSWITH(LOWER(c.d), @p3))',
      'SELECT c.id, c._ts FROM c WHERE c.x > 1 ORDER BY c._ts DESC',
      "SELECT TOP 10 * FROM root r JOIN t IN r.tags WHERE t.name = 'x' ? 1 : 2",
      'SELECT * FROM c WHERE c.a BETWEEN 1 AND 5 AND EXISTS(SELECT VALUE t FROM t IN c.tags)',
      "SELECT * FROM c WHERE c.a + 2 * 3 - -c.b = 1 AND c.s || 'x' = 'y' AND udf.f(c)",
      `${WHERE}${NESTED['NOT (… OR …)']!(3)}`,
      'SELEC * FROM c',
      'SELECT * FROM c WHERE (c.a = 1',
      "SELECT * FROM c WHERE c.a = 'open",
    ];
    for (const sql of corpus) expect(outcome(parse, sql), sql).toBe(outcome(generated, sql));
  });

  it.each(Object.entries(NESTED))(
    'parses %s nested 30 levels in linear time (the generated parser: ~8× per level)',
    (_, make) => {
      const started = performance.now();
      expect(() => parse(`${WHERE}${make(30)}`)).not.toThrow();
      expect(performance.now() - started).toBeLessThan(500);
    },
  );

  it('refuses what is nested too deep to parse with a syntax error naming why', () => {
    const deep = `${WHERE}${NESTED.parentheses!(MAX_SQL_NESTING + 1)}`;
    expect(() => parse(deep)).toThrow(
      new RegExp(`nested more than ${MAX_SQL_NESTING} levels deep .* at offset \\d+`),
    );
    expect(outcome(parse, deep)).toMatch(/^SyntaxError/);
    expect(() => parse(deep)).toThrow(parser.SyntaxError);
    // Brackets inside strings are data, not nesting.
    expect(() => parse(`${WHERE}c.a = '${'('.repeat(100)}'`)).not.toThrow();
    expect(() => parse(`${WHERE}${'NOT '.repeat(20_000)}c.a = 1`)).toThrow(parser.SyntaxError);
  });
});

describe('the stand-in process under nested queries', () => {
  let standIn: CosmosStandIn;
  let items: Container;
  beforeAll(async () => {
    standIn = await startCosmosStandIn();
    const client = new CosmosClient({
      endpoint: standIn.endpoint,
      key: standIn.key,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const { database } = await client.databases.createIfNotExists({ id: 'db' });
    ({ container: items } = await database.containers.createIfNotExists({
      id: 'nested',
      partitionKey: { paths: ['/deviceId'] },
    }));
    for (const deviceId of ['d1', 'D2'])
      await items.items.create({ id: 'twin', deviceId, kind: 'twin', a: deviceId, x: 'no' });
  });
  afterAll(() => standIn.stop());

  const run = (sql: string) =>
    items.items.query<{ deviceId: string }>({
      query: sql,
      parameters: [
        { name: '@p0', value: 'd1' },
        { name: '@p1', value: 'x' },
      ],
    });

  it.each(Object.entries(NESTED))(
    'answers %s nested 20 levels within a second, with the right rows',
    async (_, make) => {
      const started = performance.now();
      const { resources } = await run(`${WHERE}${make(20)}`).fetchAll();
      expect(performance.now() - started).toBeLessThan(1000);
      // An even number of NOTs: every shape selects d1 alone.
      expect(resources.map((r) => r.deviceId)).toEqual(['d1']);
    },
  );

  it('answers 400 to a query nested too deep, and stays free for the next request', async () => {
    const error = await run(`${WHERE}${NESTED.LOWER!(MAX_SQL_NESTING + 1)}`)
      .fetchAll()
      .then(
        () => undefined,
        (e: unknown) => e as { code?: number; message?: string },
      );
    expect(error?.code).toBe(400);
    expect(error?.message).toMatch(/nested more than \d+ levels deep/);
    const started = performance.now();
    const { resource } = await items.item('twin', 'd1').read<{ a: string }>();
    expect(resource?.a).toBe('d1');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
