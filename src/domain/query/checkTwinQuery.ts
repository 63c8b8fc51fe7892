import { syntaxError } from './parseTwinQuery';
import type { Condition, Operand, Path, TwinQuery } from './TwinQuery';

/** Twin fields a query may address; `*` after a name: any path below it too. */
const DEVICE_PATHS = [
  'deviceId',
  'generationId',
  'etag',
  'version',
  'status',
  'statusReason',
  'statusUpdateTime',
  'connectionState',
  'connectionStateUpdatedTime',
  'lastActivityTime',
  'authenticationType',
  'x509Thumbprint*',
  'capabilities*',
  'deviceScope',
  'parentScopes',
  'tags*',
  'properties.desired*',
  'properties.reported*',
  // Which configurations target the twin, and which one is applied (IoT Hub's system metrics).
  'configurations*',
];
const MODULE_PATHS = [
  ...DEVICE_PATHS.filter((p) => !['capabilities*', 'deviceScope', 'parentScopes'].includes(p)),
  'moduleId',
];

function allowed(path: Path, from: TwinQuery['from']): boolean {
  const dotted = path.segments.join('.');
  return (from === 'devices' ? DEVICE_PATHS : MODULE_PATHS).some((p) =>
    p.endsWith('*')
      ? dotted === p.slice(0, -1) || dotted.startsWith(`${p.slice(0, -1)}.`)
      : dotted === p,
  );
}

/**
 * Checks what parses but cannot run: unknown paths, and selections that do not fit the
 * grouping. A 400 naming the position, like a syntax error.
 */
export function checkTwinQuery(query: TwinQuery): void {
  const paths: Path[] = [...query.groupBy];
  const visit = (c: Condition): void => {
    switch (c.kind) {
      case 'and':
      case 'or':
        visit(c.left);
        visit(c.right);
        return;
      case 'not':
        visit(c.operand);
        return;
      case 'compare':
        operandPaths(c.left, paths);
        operandPaths(c.right, paths);
        return;
      case 'in':
      case 'check':
        operandPaths(c.kind === 'in' ? c.operand : c.arg, paths);
        return;
      case 'affix':
        operandPaths(c.arg, paths);
        operandPaths(c.affix, paths);
        return;
    }
  };
  if (query.where) visit(query.where);
  const items = query.select.kind === 'fields' ? query.select.items : [];
  for (const item of items) if (item.kind === 'path') paths.push(item.path);
  for (const path of paths)
    if (!allowed(path, query.from))
      throw syntaxError(
        path.position,
        path.segments.join('.'),
        `${path.segments.join('.')} is not a twin property ${query.from} can be queried by (deviceId, status, tags.…, properties.desired.…, properties.reported.…, connectionState, …)`,
      );

  const counts = items.filter((i) => i.kind === 'count');
  if (query.select.kind === 'all' && query.groupBy.length > 0)
    throw syntaxError(1, 'SELECT *', 'a grouped query selects the grouped properties and COUNT()');
  if (counts.length > 1) throw syntaxError(1, 'COUNT', 'select COUNT() once');
  if (query.groupBy.length === 0 && counts.length > 0 && items.length > 1)
    throw syntaxError(1, 'COUNT', 'COUNT() with other properties needs GROUP BY those properties');
  if (query.groupBy.length > 0) {
    const grouped = new Set(query.groupBy.map((p) => p.segments.join('.')));
    for (const item of items)
      if (item.kind === 'path' && !grouped.has(item.path.segments.join('.')))
        throw syntaxError(
          item.path.position,
          item.path.segments.join('.'),
          'a grouped query can select only the properties it groups by, and COUNT()',
        );
  }
  const aliases = items.map((i) => i.alias);
  const twice = aliases.find((a, i) => aliases.indexOf(a) !== i);
  if (twice !== undefined)
    throw syntaxError(1, twice, `two selected values are named '${twice}': use AS`);
}

function operandPaths(operand: Operand, into: Path[]): void {
  if (operand.kind === 'path') into.push(operand);
  else if (operand.kind === 'case') operandPaths(operand.arg, into);
}
