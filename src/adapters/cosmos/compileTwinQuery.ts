import type { SqlParameter } from '@azure/cosmos';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { Condition, Operand, Path, TwinQuery } from '../../domain/query/TwinQuery';

export interface CosmosSql {
  query: string;
  parameters: SqlParameter[];
}

/**
 * What a query runs as on Cosmos DB: `rows` pages through twins (SELECT *) or projections;
 * `count` is a COUNT over the filter; `groups` projects each twin's group key, counted by the
 * caller (GROUP BY is counted here rather than by Cosmos, which cannot page a grouped query
 * across partitions). Every value is a parameter: nothing from the query text is spliced in
 * but property names, which are JSON-quoted.
 */
export type CompiledQuery =
  | { kind: 'rows'; sql: CosmosSql; twins: boolean }
  | { kind: 'count'; sql: CosmosSql; alias: string }
  | { kind: 'groups'; sql: CosmosSql };

/**
 * The longest SQL a query may compile to. Parsing is linear in it (the embedded stand-in's
 * parser: about 40 ms for 12 KiB on a busy two-core machine); a query of the language's
 * 8,192 characters compiles to at most about three times as much, ordinary queries to less
 * than 1 KiB.
 */
export const MAX_SQL_LENGTH = 12 * 1024;

export function compileTwinQuery(q: TwinQuery): CompiledQuery {
  const parameters: SqlParameter[] = [];
  const param = (value: unknown) => {
    const name = `@p${parameters.length}`;
    parameters.push({ name, value: value as SqlParameter['value'] });
    return name;
  };
  const source =
    q.from === 'devices'
      ? "c.kind = 'twin' AND NOT IS_DEFINED(c.moduleId)"
      : "c.kind = 'twin' AND IS_DEFINED(c.moduleId)";
  const where = q.where ? `${source} AND ${condition(q.where, param, 'and')}` : source;
  const sql = (select: string) => {
    const query = `SELECT ${select} FROM c WHERE ${where}`;
    if (query.length > MAX_SQL_LENGTH)
      throw new RegistryError(
        'BadRequest',
        `The query compiles to ${query.length} characters of SQL: at most ${MAX_SQL_LENGTH} are allowed, so use fewer conditions, list values or selected properties`,
      );
    return { query, parameters };
  };

  if (q.select.kind === 'all') return { kind: 'rows', sql: sql('*'), twins: true };
  const items = q.select.items;
  if (q.groupBy.length > 0) {
    const keys = q.groupBy.map((p, i) => `${JSON.stringify(`g${i}`)}: ${path(p)}`);
    return { kind: 'groups', sql: sql(`VALUE {${keys.join(', ')}}`) };
  }
  const count = items.find((i) => i.kind === 'count');
  if (count) return { kind: 'count', sql: sql('VALUE COUNT(1)'), alias: count.alias };
  const fields = items.map(
    (i) => `${JSON.stringify(i.alias)}: ${i.kind === 'path' ? path(i.path) : 'null'}`,
  );
  return { kind: 'rows', sql: sql(`VALUE {${fields.join(', ')}}`), twins: false };
}

const path = (p: Path) => `c${p.segments.map((s) => `[${JSON.stringify(s)}]`).join('')}`;

function operand(o: Operand, param: (v: unknown) => string): string {
  switch (o.kind) {
    case 'path':
      return path(o);
    case 'literal':
      return o.value === null ? 'null' : param(o.value);
    case 'case':
      return `${o.fn}(${operand(o.arg, param)})`;
  }
}

/**
 * SQL for a condition with as few parentheses as its meaning needs: AND and OR chains are
 * flattened (the stand-in's parser slows down exponentially with nesting depth).
 */
function condition(c: Condition, param: (v: unknown) => string, inside?: 'and' | 'not'): string {
  switch (c.kind) {
    case 'and':
    case 'or': {
      const parts = chain(c, c.kind).map((p) =>
        condition(p, param, c.kind === 'and' ? 'and' : undefined),
      );
      const sql = parts.join(` ${c.kind.toUpperCase()} `);
      return c.kind === 'or' && inside ? `(${sql})` : inside === 'not' ? `(${sql})` : sql;
    }
    case 'not':
      return `NOT ${condition(c.operand, param, 'not')}`;
    case 'compare': {
      const sql = `${operand(c.left, param)} ${c.op} ${operand(c.right, param)}`;
      return inside === 'not' ? `(${sql})` : sql;
    }
    case 'in': {
      if (c.values.length === 0) return c.negated ? 'true' : 'false';
      const list = c.values.map((v) => operand(v, param)).join(', ');
      const test = `${operand(c.operand, param)} IN (${list})`;
      return c.negated ? `NOT (${test})` : inside === 'not' ? `(${test})` : test;
    }
    case 'check':
      return `${c.fn}(${operand(c.arg, param)})`;
    case 'affix':
      return `${c.fn}(${operand(c.arg, param)}, ${operand(c.affix, param)})`;
  }
}

/** The operands of a chain of the same operator, left to right. */
function chain(c: Condition, kind: 'and' | 'or'): Condition[] {
  return c.kind === kind ? [...chain(c.left, kind), ...chain(c.right, kind)] : [c];
}
