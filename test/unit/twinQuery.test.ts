import { describe, expect, it } from 'vitest';
import { compileTwinQuery, MAX_SQL_LENGTH } from '../../src/adapters/cosmos/compileTwinQuery';
import { checkTwinQuery } from '../../src/domain/query/checkTwinQuery';
import {
  MAX_LIST_ITEMS,
  MAX_NESTING,
  MAX_QUERY_LENGTH,
  parseTwinQuery,
} from '../../src/domain/query/parseTwinQuery';
import { errorOf } from '../support/errorOf';

const compile = (q: string) => {
  const parsed = parseTwinQuery(q);
  checkTwinQuery(parsed);
  return compileTwinQuery(parsed);
};

describe('the query language parser', () => {
  it('parses selections, sources, conditions and grouping, keywords in any case', () => {
    const q = parseTwinQuery(
      "select deviceId, tags.site as site from DEVICES where (status = 'enabled' or NOT tags.x <> 1) and tags.n in [1, 2.5, -3] group by deviceId, tags.site",
    );
    expect(q.from).toBe('devices');
    expect(q.select).toEqual({
      kind: 'fields',
      items: [
        {
          kind: 'path',
          path: { kind: 'path', segments: ['deviceId'], position: 8 },
          alias: 'deviceId',
        },
        {
          kind: 'path',
          path: { kind: 'path', segments: ['tags', 'site'], position: 18 },
          alias: 'site',
        },
      ],
    });
    expect(q.where).toMatchObject({
      kind: 'and',
      left: {
        kind: 'or',
        left: { kind: 'compare', op: '=', right: { kind: 'literal', value: 'enabled' } },
        right: { kind: 'not', operand: { kind: 'compare', op: '!=' } },
      },
      right: { kind: 'in', negated: false, values: [{ value: 1 }, { value: 2.5 }, { value: -3 }] },
    });
    expect(q.groupBy.map((p) => p.segments)).toEqual([['deviceId'], ['tags', 'site']]);
    expect(parseTwinQuery('SELECT * FROM devices.modules').from).toBe('devices.modules');
    expect(parseTwinQuery("SELECT * FROM devices WHERE tags.in = 'x'").where).toMatchObject({
      left: { segments: ['tags', 'in'] },
    });
  });

  it('reads strings with either quote, doubled quotes and escapes', () => {
    const value = (q: string) =>
      (parseTwinQuery(q).where as { right: { value: unknown } }).right.value;
    expect(value("SELECT * FROM devices WHERE tags.a = 'it''s'")).toBe("it's");
    expect(value('SELECT * FROM devices WHERE tags.a = "say \\"hi\\""')).toBe('say "hi"');
    expect(value('SELECT * FROM devices WHERE tags.a = null')).toBeNull();
    expect(value('SELECT * FROM devices WHERE tags.a = TRUE')).toBe(true);
  });

  it.each([
    ['', 1, 'the end of the query', 'SELECT'],
    ['SELECT FROM devices', 8, "'FROM'", "'*', COUNT() or a property path"],
    ['SELECT * FROM devices WHERE tags.a = = 1', 38, "'='", 'a value or a property path'],
    ['SELECT * FROM devices WHERE tags.a IN 1', 39, "'1'", "'['"],
    ['SELECT * FROM devices WHERE (tags.a = 1', 40, 'the end of the query', "')'"],
    ['SELECT * FROM devices WHERE tags.a ~ 1', 36, "'~'", 'no meaning'],
    ['SELECT * FROM devices GROUP status', 29, "'status'", 'BY'],
    ['SELECT COUNT(x) FROM devices', 14, "'x'", 'COUNT takes no argument'],
  ])('refuses %j at position %i, naming %s', (q, position, near, expected) => {
    const error = errorOf(() => parseTwinQuery(q));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toContain(`position ${position} `);
    expect(error.message).toContain(near);
    expect(error.message).toContain(expected);
  });

  it('refuses queries nested too deep or too long, without overflowing the stack', () => {
    const deep = `SELECT * FROM devices WHERE ${'('.repeat(4000)}tags.a = 1${')'.repeat(4000)}`;
    expect(errorOf(() => parseTwinQuery(deep)).message).toMatch(/nested more than 12 levels/);
    expect(errorOf(() => parseTwinQuery(`SELECT * FROM devices ${' '.repeat(9000)}`)).code).toBe(
      'BadRequest',
    );
  });

  /** Each kind of nesting, `n` levels deep (every parenthesis, NOT and function call is one). */
  const nestings: [string, (n: number) => string][] = [
    ['parentheses', (n) => `${'('.repeat(n)}deviceId = 'd1'${')'.repeat(n)}`],
    ['NOT', (n) => `${'NOT '.repeat(n)}deviceId = 'd1'`],
    ['NOT (', (n) => `${'NOT ('.repeat(n / 2)}deviceId = 'd1'${')'.repeat(n / 2)}`],
    ['LOWER', (n) => `${'LOWER('.repeat(n)}deviceId${')'.repeat(n)} = 'd1'`],
    [
      'UPPER inside IS_STRING',
      (n) => `IS_STRING(${'UPPER('.repeat(n - 1)}deviceId${')'.repeat(n - 1)})`,
    ],
    [
      'LOWER inside STARTSWITH',
      (n) => `STARTSWITH(${'LOWER('.repeat(n - 1)}deviceId${')'.repeat(n - 1)}, 'd')`,
    ],
    [
      'NOT (… OR …) with IN',
      (n) =>
        Array.from({ length: n / 2 }).reduce<string>(
          (inner) => `NOT (tags.a IN [1, 2] OR ${inner})`,
          "deviceId = 'd1'",
        ),
    ],
  ];

  it.each(nestings)('allows %s nested 12 levels and names the 13th', (_, make) => {
    const at = (n: number) => `SELECT deviceId FROM devices WHERE ${make(n)}`;
    expect(() => compile(at(MAX_NESTING))).not.toThrow();
    const error = errorOf(() => parseTwinQuery(at(MAX_NESTING + 2)));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(
      /^Query syntax error at position \d+ at '[^']+': nested more than 12 levels: parentheses, NOT and function calls each add one/,
    );
  });

  it('does not count flat AND/OR chains as nesting, but bounds the SQL they compile to', () => {
    const chain = (n: number, op: string) =>
      `SELECT deviceId FROM devices WHERE ${Array.from({ length: n }, (_, i) => `tags.x.y.z = ${i}`).join(` ${op} `)}`;
    expect(() => compile(chain(300, 'AND'))).not.toThrow();
    expect(() => compile(chain(300, 'OR'))).not.toThrow();
    const long = chain(380, 'OR');
    expect(long.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
    const error = errorOf(() => compile(long));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(
      new RegExp(`compiles to \\d+ characters of SQL: at most ${MAX_SQL_LENGTH} are allowed`),
    );
  });

  it('allows 1,000 values in a list and names the list that has more', () => {
    const list = (n: number) =>
      `SELECT deviceId FROM devices WHERE tags.n IN [${Array.from({ length: n }, () => 7).join(',')}]`;
    expect(parseTwinQuery(list(MAX_LIST_ITEMS)).where).toMatchObject({ kind: 'in' });
    expect(errorOf(() => parseTwinQuery(list(MAX_LIST_ITEMS + 1))).message).toMatch(
      /position 46 at '\[': the list has more than 1000 values/,
    );
  });

  it.each([
    ['SELECT deviceId AS __proto__ FROM devices', '__proto__', 'an alias'],
    ['SELECT COUNT() AS constructor FROM devices', 'constructor', 'an alias'],
    ['SELECT tags.__proto__ FROM devices', '__proto__', 'a property name'],
    ["SELECT * FROM devices WHERE tags.prototype.x = 'y'", 'prototype', 'a property name'],
    [
      'SELECT tags.constructor, COUNT() FROM devices GROUP BY tags.constructor',
      'constructor',
      'a property name',
    ],
  ])('refuses %j, naming %s', (q, name, what) => {
    const error = errorOf(() => parseTwinQuery(q));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toContain(`'${name}' cannot be ${what}`);
  });

  it('says which IoT Hub clauses are not supported, rather than calling them syntax errors', () => {
    const cases: [string, RegExp][] = [
      ['SELECT * FROM devices ORDER BY deviceId', /^ORDER BY \(at position 23\) is not supported/],
      ["SELECT * FROM devices WHERE status = 'enabled' ORDER BY deviceId DESC", /^ORDER BY/],
      [
        'SELECT TOP 10 * FROM devices',
        /^TOP \(at position 8\) is not supported.*x-ms-max-item-count/,
      ],
      ['SELECT DISTINCT status FROM devices', /^DISTINCT .* is not supported/],
      ['SELECT * FROM devices JOIN devices.modules', /^JOIN .* is not supported/],
      [
        'SELECT COUNT() FROM devices GROUP BY status HAVING COUNT() > 1',
        /^HAVING .* is not supported/,
      ],
    ];
    for (const [query, expected] of cases) {
      const error = errorOf(() => compile(query));
      expect(error.code, query).toBe('BadRequest');
      expect(error.message, query).toMatch(expected);
    }
  });

  it('checks paths and grouping', () => {
    expect(errorOf(() => compile("SELECT * FROM devices WHERE password = 'x'")).message).toMatch(
      /position 29 at 'password'/,
    );
    expect(
      errorOf(() => compile('SELECT * FROM devices.modules WHERE capabilities.iotEdge = true'))
        .message,
    ).toMatch(/not a twin property devices\.modules/);
    expect(errorOf(() => compile('SELECT * FROM devices GROUP BY status')).message).toMatch(
      /grouped query/,
    );
    expect(errorOf(() => compile('SELECT tags.a, tags.b AS a FROM devices')).message).toMatch(
      /two selected values are named 'a'/,
    );
    expect(() =>
      compile("SELECT * FROM devices WHERE properties.reported.fw.version = '1.2'"),
    ).not.toThrow();
    expect(() => compile("SELECT * FROM devices.modules WHERE moduleId = 'm'")).not.toThrow();
  });
});

describe('compiling to Cosmos SQL', () => {
  it('passes every literal as a parameter and quotes every name', () => {
    const compiled = compile(
      "SELECT * FROM devices WHERE tags.site = 'a'' OR 1=1' AND tags.n IN [1, 2] AND STARTSWITH(LOWER(deviceId), 'x') AND tags.gone = null",
    );
    expect(compiled).toEqual({
      kind: 'rows',
      twins: true,
      sql: {
        query:
          'SELECT * FROM c WHERE c.kind = \'twin\' AND NOT IS_DEFINED(c.moduleId) AND c["tags"]["site"] = @p0 AND c["tags"]["n"] IN (@p1, @p2) AND STARTSWITH(LOWER(c["deviceId"]), @p3) AND c["tags"]["gone"] = null',
        parameters: [
          { name: '@p0', value: "a' OR 1=1" },
          { name: '@p1', value: 1 },
          { name: '@p2', value: 2 },
          { name: '@p3', value: 'x' },
        ],
      },
    });
  });

  it('compiles projections, counts, groups and empty lists', () => {
    expect(compile('SELECT deviceId AS id, tags.x FROM devices.modules')).toMatchObject({
      kind: 'rows',
      twins: false,
      sql: {
        query:
          'SELECT VALUE {"id": c["deviceId"], "x": c["tags"]["x"]} FROM c WHERE c.kind = \'twin\' AND IS_DEFINED(c.moduleId)',
      },
    });
    expect(compile('SELECT COUNT() AS n FROM devices')).toMatchObject({
      kind: 'count',
      alias: 'n',
      sql: { query: expect.stringMatching(/^SELECT VALUE COUNT\(1\) FROM c/) },
    });
    expect(compile('SELECT status, COUNT() AS n FROM devices GROUP BY status')).toMatchObject({
      kind: 'groups',
      sql: { query: expect.stringMatching(/^SELECT VALUE \{"g0": c\["status"\]\} FROM c/) },
    });
    expect(compile('SELECT * FROM devices WHERE deviceId IN [] OR deviceId NIN []')).toMatchObject({
      sql: { query: expect.stringContaining('AND (false OR true)') },
    });
    expect(
      compile(
        "SELECT * FROM devices WHERE NOT (status = 'a' OR tags.x = 1) AND (tags.y = 2 OR NOT tags.z IN [3]) OR tags.w NIN [4] AND NOT IS_DEFINED(tags.v)",
      ),
    ).toMatchObject({
      sql: {
        query: expect.stringContaining(
          'AND (NOT (c["status"] = @p0 OR c["tags"]["x"] = @p1) AND (c["tags"]["y"] = @p2 OR NOT (c["tags"]["z"] IN (@p3))) OR NOT (c["tags"]["w"] IN (@p4)) AND NOT IS_DEFINED(c["tags"]["v"]))',
        ),
      },
    });
  });
});
