import { RegistryError } from '../errors/RegistryError';
import { FORBIDDEN_KEYS, isForbiddenKey } from './forbiddenKeys';

/**
 * How deep any JSON a caller sends may nest (arrays and objects alike). Well above what any
 * body needs (a twin section allows 10 levels inside a bulk entry inside an array), and low
 * enough that recursive code after parsing (structuredClone, JSON.stringify, the SDKs) never
 * runs out of stack.
 */
export const MAX_JSON_DEPTH = 64;

interface Node {
  value: unknown;
  parent: Node | null;
  key: string | number;
  depth: number;
}

const invalid = (message: string) => new RegistryError('ArgumentInvalid', message);

/** Where a node sits, as `a.b[2].c` (built only for an error, so deep walks stay linear). */
function pathOf(node: Node): string {
  const parts: string[] = [];
  for (let at: Node | null = node; at?.parent; at = at.parent)
    parts.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  const path = parts.reverse().join('').replace(/^\./, '');
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}

/**
 * Checks parsed JSON from a caller before anything copies or merges it: no key that could
 * reach a prototype, at any depth, and at most MAX_JSON_DEPTH levels. Walks with an explicit
 * stack, so a body nested 100,000 levels deep is a 400, not a stack overflow.
 */
export function assertSafeJson(value: unknown, subject: string): void {
  const stack: Node[] = [{ value, parent: null, key: '', depth: 0 }];
  for (;;) {
    const node = stack.pop();
    if (node === undefined) return;
    const current = node.value;
    if (typeof current !== 'object' || current === null) continue;
    const depth = node.depth + 1;
    if (depth > MAX_JSON_DEPTH)
      throw invalid(
        `The ${subject} is nested more than ${MAX_JSON_DEPTH} levels deep (at ${pathOf(node)})`,
      );
    if (Array.isArray(current)) {
      current.forEach((item: unknown, i) => {
        if (typeof item === 'object' && item !== null)
          stack.push({ value: item, parent: node, key: i, depth });
      });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const child: Node = { value: item, parent: node, key, depth };
      if (isForbiddenKey(key))
        throw invalid(
          `The key '${key}' (at ${pathOf(child)}) is not allowed in the ${subject}: ${FORBIDDEN_KEYS.map((k) => `'${k}'`).join(', ')} are reserved`,
        );
      if (typeof item === 'object' && item !== null) stack.push(child);
    }
  }
}
