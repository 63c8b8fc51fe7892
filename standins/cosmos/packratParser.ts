// `import = require` for the module whose exports are replaced: the real exports object.
import parser = require('@zeit/cosmosdb-query/lib/parser');
import { readFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';

interface PegParser {
  parse: (sql: string) => unknown;
  SyntaxError: new (
    message: string,
    expected: null,
    found: null,
    location: { start: { offset: number; line: number; column: number } },
  ) => Error;
}

/** Deeper than this (parentheses, brackets, braces) a query is refused before it is parsed. */
export const MAX_SQL_NESTING = 64;

/**
 * The query engine's parser is PEG.js output generated without its packrat cache, so it
 * backtracks: each level of parentheses, function call or `NOT (` multiplies its parse time by
 * about 8 (six levels: 10 s of CPU, during which the stand-in answers nobody). The same
 * generated code is loaded here with each rule memoized by input position, as
 * `pegjs --cache` generates it, which makes a parse linear in the query's length. The rules
 * and their actions are untouched: the trees it builds, and its syntax errors, are the same.
 */
function memoizedParser(): PegParser {
  const file = require.resolve('@zeit/cosmosdb-query/lib/parser');
  let rules = 0;
  const source = readFileSync(file, 'utf8')
    // Each rule `peg$parseX` becomes a memoized call of its original body, `peg$parseX$`.
    .replace(/function (peg\$parse\w+)\(\) \{/g, (_, name: string) => {
      const rule = rules++;
      return `function ${name}() { return peg$memo(${rule}, ${name}$); }\n  function ${name}$() {`;
    })
    // One memo table per parse: (position, rule) → where the rule ended and what it returned.
    .replace(
      'function peg$parse(input, options) {',
      (start) =>
        `${start}\n  var peg$memoTable = new Map();\n` +
        '  function peg$memo(rule, parse) {\n' +
        `    var key = peg$currPos * ${rules} + rule, hit = peg$memoTable.get(key);\n` +
        '    if (hit) { peg$currPos = hit.next; return hit.result; }\n' +
        '    var result = parse();\n' +
        '    peg$memoTable.set(key, { next: peg$currPos, result: result });\n' +
        '    return result;\n' +
        '  }',
    );
  if (rules < 50 || !source.includes('peg$memoTable'))
    throw new Error(`${file} is not the PEG.js parser this stand-in knows how to memoize`);
  const loaded = { exports: {} as PegParser };
  const run = compileFunction(source, ['module', 'exports'], { filename: file }) as (
    module: { exports: PegParser },
    exports: PegParser,
  ) => void;
  run(loaded, loaded.exports);
  return loaded.exports;
}

/** How deeply the query nests brackets, outside string literals; linear, stops past the limit. */
function nesting(sql: string): { depth: number; offset: number } {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_SQL_NESTING) return { depth, offset: i };
    } else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return { depth, offset: -1 };
}

const original = parser as unknown as PegParser;
const memoized = memoizedParser();
// The server answers 400 for errors of the original class (`instanceof`): make ours of it.
Object.setPrototypeOf(memoized.SyntaxError.prototype, original.SyntaxError.prototype as object);

const refuse = (message: string, offset: number) =>
  new original.SyntaxError(message, null, null, {
    start: { offset, line: 1, column: offset + 1 },
  });

/**
 * Parses with the memoized parser. A query nested deeper than MAX_SQL_NESTING, or one whose
 * recursion would overflow the stack anyway (a long chain of NOTs), is a syntax error, which
 * the server answers with 400: no query can keep the stand-in busy beyond a linear parse.
 */
original.parse = (sql: string) => {
  const { offset } = nesting(sql);
  if (offset >= 0)
    throw refuse(
      `The query is nested more than ${MAX_SQL_NESTING} levels deep (parentheses, brackets and braces) at offset ${offset}: flatten it`,
      offset,
    );
  try {
    return memoized.parse(sql);
  } catch (error) {
    if (error instanceof RangeError)
      throw refuse('The query is nested too deeply to parse (a long chain of NOT?): flatten it', 0);
    throw error;
  }
};
