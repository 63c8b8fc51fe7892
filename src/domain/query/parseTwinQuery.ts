import { RegistryError } from '../errors/RegistryError';
import type {
  Comparison,
  Condition,
  Literal,
  Operand,
  Path,
  SelectItem,
  TwinQuery,
  TypeCheck,
} from './TwinQuery';

/*
 * The IoT Hub query language over twins, as far as this registry supports it. Recursive
 * descent, one function per rule; keywords are case-insensitive.
 *
 *   query      := SELECT selection FROM source [WHERE or] [GROUP BY path {, path}] EOF
 *   selection  := '*' | item {, item}
 *   item       := COUNT '(' ')' [AS name] | path [AS name]
 *   source     := devices | devices '.' modules
 *   or         := and {OR and}
 *   and        := unary {AND unary}
 *   unary      := NOT unary | '(' or ')' | predicate
 *   predicate  := check '(' operand ')'
 *               | (STARTSWITH | ENDSWITH) '(' operand ',' operand ')'
 *               | operand (comparison operand | [NOT] IN list | NIN list)
 *   check      := IS_DEFINED | IS_NULL | IS_STRING | IS_NUMBER | IS_BOOL | IS_OBJECT
 *   list       := '[' [literal {, literal}] ']'
 *   operand    := (LOWER | UPPER) '(' operand ')' | literal | path
 *   path       := name {'.' name}        (a name may be written [[any text]], as in
 *                                          configurations.[[my-config]].status)
 *   literal    := 'string' | "string" | number | TRUE | FALSE | NULL
 *   comparison := '=' | '!=' | '<>' | '<' | '>' | '<=' | '>='
 */

type TokenKind = 'name' | 'string' | 'number' | 'symbol' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  value: string | number;
  /** 1-based character position in the query. */
  position: number;
}

export const MAX_QUERY_LENGTH = 8192;
/**
 * How deeply a query may nest: each parenthesis, NOT and function call (LOWER, STARTSWITH,
 * IS_DEFINED, …) adds a level. IoT Hub queries are shallow (three or four levels); the limit
 * also bounds the recursion of everything downstream that walks the condition.
 */
export const MAX_NESTING = 12;
/** Values in one IN or NIN list (each becomes a parameter of the compiled query). */
export const MAX_LIST_ITEMS = 1000;
/** Names that would reach a result row's prototype instead of being a key of its own. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const CHECKS: readonly TypeCheck[] = [
  'IS_DEFINED',
  'IS_NULL',
  'IS_STRING',
  'IS_NUMBER',
  'IS_BOOL',
  'IS_OBJECT',
];
const UNSUPPORTED_ADVICE: Record<string, string> = {
  ORDER: 'sort the results yourself',
  TOP: 'ask for a page size with x-ms-max-item-count instead',
  OFFSET: 'page with x-ms-continuation instead',
  LIMIT: 'ask for a page size with x-ms-max-item-count instead',
};
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'NIN', 'AS']);

export function syntaxError(position: number, found: string, message: string): RegistryError {
  const near = found === '' ? 'at the end of the query' : `at '${found.slice(0, 40)}'`;
  return new RegistryError(
    'BadRequest',
    `Query syntax error at position ${position} ${near}: ${message}`,
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const position = i + 1;
    const rest = text.slice(i);
    if (rest.startsWith('[[')) {
      const end = rest.indexOf(']]', 2);
      if (end < 0) throw syntaxError(position, rest, "the name in '[[' is not closed with ']]'");
      tokens.push({
        kind: 'name',
        text: rest.slice(0, end + 2),
        value: rest.slice(2, end),
        position,
      });
      i += end + 2;
      continue;
    }
    const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], value: name[0], position });
      i += name[0].length;
      continue;
    }
    const number = /^-?(\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), position });
      i += number[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw syntaxError(position, rest, 'the string is not closed');
        const d = text[j] as string;
        if (d === c && text[j + 1] === c) {
          value += c;
          j += 2;
        } else if (d === c) break;
        else if (d === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
        } else {
          value += d;
          j++;
        }
      }
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), value, position });
      i = j + 1;
      continue;
    }
    const symbol = /^(<>|!=|<=|>=|[*,.()[\]=<>])/.exec(rest);
    if (!symbol) throw syntaxError(position, c, 'this character has no meaning here');
    tokens.push({ kind: 'symbol', text: symbol[0], value: symbol[0], position });
    i += symbol[0].length;
  }
  tokens.push({ kind: 'end', text: '', value: '', position: text.length + 1 });
  return tokens;
}

class Parser {
  private at = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private get token(): Token {
    return this.tokens[this.at] as Token;
  }

  private fail(expected: string): never {
    throw syntaxError(this.token.position, this.token.text, `expected ${expected}`);
  }

  /** Parses one level of nesting (a parenthesis, NOT or function call), refusing too many. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING)
      throw syntaxError(
        this.token.position,
        this.token.text,
        `nested more than ${MAX_NESTING} levels: parentheses, NOT and function calls each add one, so flatten the condition`,
      );
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** A name that becomes a key of a result row, or is looked up in a twin. */
  private allowedName(t: Token, what: string): string {
    const name = String(t.value);
    if (FORBIDDEN_NAMES.has(name))
      throw syntaxError(t.position, t.text, `'${name}' cannot be ${what}: use another name`);
    return name;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.tokens[this.at + offset];
    return t?.kind === 'name' && t.text.toUpperCase() === word;
  }

  private isSymbol(symbol: string): boolean {
    return this.token.kind === 'symbol' && this.token.text === symbol;
  }

  private keyword(word: string): void {
    if (!this.isKeyword(word)) this.fail(word);
    this.at++;
  }

  private symbol(symbol: string, expected = `'${symbol}'`): void {
    if (!this.isSymbol(symbol)) this.fail(expected);
    this.at++;
  }

  query(): TwinQuery {
    this.keyword('SELECT');
    const select = this.selection();
    this.keyword('FROM');
    const from = this.source();
    let where: Condition | null = null;
    if (this.isKeyword('WHERE')) {
      this.at++;
      where = this.or();
    }
    const groupBy: Path[] = [];
    if (this.isKeyword('GROUP')) {
      this.at++;
      this.keyword('BY');
      groupBy.push(this.path());
      while (this.isSymbol(',')) {
        this.at++;
        groupBy.push(this.path());
      }
    }
    this.refuseUnsupported(['ORDER', 'JOIN', 'HAVING', 'OFFSET', 'LIMIT']);
    if (this.token.kind !== 'end')
      this.fail(
        groupBy.length > 0 ? 'the end of the query' : 'WHERE, GROUP BY or the end of the query',
      );
    return { select, from, where, groupBy };
  }

  /**
   * A configuration's targetCondition: a bare condition over devices, or, for module content,
   * `FROM devices.modules WHERE condition`.
   */
  target(modules: boolean): TwinQuery {
    if (modules) {
      this.keyword('FROM');
      if (this.source() !== 'devices.modules') this.fail("'devices.modules'");
      this.keyword('WHERE');
    }
    const where = this.or();
    if (this.token.kind !== 'end') this.fail('AND, OR or the end of the condition');
    return {
      select: { kind: 'all' },
      from: modules ? 'devices.modules' : 'devices',
      where,
      groupBy: [],
    };
  }

  /** IoT Hub clauses this registry does not run: said as such, not as a syntax error. */
  private refuseUnsupported(words: readonly string[]): void {
    const word = words.find((w) => this.isKeyword(w));
    if (word === undefined) return;
    const clause = word === 'ORDER' ? 'ORDER BY' : word;
    throw new RegistryError(
      'BadRequest',
      `${clause} (at position ${this.token.position}) is not supported by this registry: ${UNSUPPORTED_ADVICE[word] ?? 'leave it out'}`,
    );
  }

  private selection(): TwinQuery['select'] {
    this.refuseUnsupported(['TOP', 'DISTINCT']);
    if (this.isSymbol('*')) {
      this.at++;
      return { kind: 'all' };
    }
    const items: SelectItem[] = [this.item()];
    while (this.isSymbol(',')) {
      this.at++;
      items.push(this.item());
    }
    return { kind: 'fields', items };
  }

  private item(): SelectItem {
    if (this.isKeyword('COUNT') && this.tokens[this.at + 1]?.text === '(') {
      this.at += 2;
      this.symbol(')', "')': COUNT takes no argument");
      return { kind: 'count', alias: this.alias() ?? 'count' };
    }
    if (this.token.kind !== 'name' || RESERVED.has(this.token.text.toUpperCase()))
      this.fail("'*', COUNT() or a property path");
    const path = this.path();
    return { kind: 'path', path, alias: this.alias() ?? (path.segments.at(-1) as string) };
  }

  private alias(): string | undefined {
    if (!this.isKeyword('AS')) return undefined;
    this.at++;
    if (this.token.kind !== 'name') this.fail('a name after AS');
    return this.allowedName(this.tokens[this.at++] as Token, 'an alias');
  }

  private source(): TwinQuery['from'] {
    if (!this.isKeyword('DEVICES')) this.fail("'devices' or 'devices.modules'");
    this.at++;
    if (!this.isSymbol('.')) return 'devices';
    this.at++;
    if (!this.isKeyword('MODULES')) this.fail("'modules' (as in devices.modules)");
    this.at++;
    return 'devices.modules';
  }

  private or(): Condition {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.at++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Condition {
    let left = this.unary();
    while (this.isKeyword('AND')) {
      this.at++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): Condition {
    if (this.isKeyword('NOT'))
      return this.nested(() => {
        this.at++;
        return { kind: 'not', operand: this.unary() };
      });
    if (this.isSymbol('('))
      return this.nested(() => {
        this.at++;
        const inner = this.or();
        this.symbol(')');
        return inner;
      });
    return this.predicate();
  }

  private predicate(): Condition {
    const name = this.token.kind === 'name' ? this.token.text.toUpperCase() : '';
    const isCall = this.tokens[this.at + 1]?.text === '(';
    if (isCall && (CHECKS as readonly string[]).includes(name))
      return this.nested(() => {
        this.at += 2;
        const arg = this.operand();
        this.symbol(')');
        return { kind: 'check', fn: name as TypeCheck, arg };
      });
    if (isCall && (name === 'STARTSWITH' || name === 'ENDSWITH'))
      return this.nested(() => {
        this.at += 2;
        const arg = this.operand();
        this.symbol(',', `',' and the ${name === 'STARTSWITH' ? 'prefix' : 'suffix'}`);
        const affix = this.operand();
        this.symbol(')');
        return { kind: 'affix', fn: name, arg, affix };
      });
    const left = this.operand();
    if (
      this.isKeyword('IN') ||
      this.isKeyword('NIN') ||
      (this.isKeyword('NOT') && this.isKeyword('IN', 1))
    ) {
      const negated = !this.isKeyword('IN');
      this.at += this.isKeyword('NOT') ? 2 : 1;
      return { kind: 'in', negated, operand: left, values: this.list() };
    }
    const op = this.comparison();
    return { kind: 'compare', op, left, right: this.operand() };
  }

  private comparison(): Comparison {
    const t = this.token;
    const ops: Record<string, Comparison> = {
      '=': '=',
      '!=': '!=',
      '<>': '!=',
      '<': '<',
      '>': '>',
      '<=': '<=',
      '>=': '>=',
    };
    const op = t.kind === 'symbol' ? ops[t.text] : undefined;
    if (!op) this.fail('a comparison (=, !=, <>, <, >, <=, >=), IN or NIN');
    this.at++;
    return op;
  }

  private list(): Literal[] {
    const start = this.token;
    this.symbol('[', "'[' to start the list");
    const values: Literal[] = [];
    if (!this.isSymbol(']')) {
      values.push(this.literalOrFail());
      while (this.isSymbol(',')) {
        this.at++;
        if (values.length === MAX_LIST_ITEMS)
          throw syntaxError(
            start.position,
            start.text,
            `the list has more than ${MAX_LIST_ITEMS} values: split the query`,
          );
        values.push(this.literalOrFail());
      }
    }
    this.symbol(']', "',' or ']'");
    return values;
  }

  private operand(): Operand {
    const name = this.token.kind === 'name' ? this.token.text.toUpperCase() : '';
    if ((name === 'LOWER' || name === 'UPPER') && this.tokens[this.at + 1]?.text === '(')
      return this.nested(() => {
        this.at += 2;
        const arg = this.operand();
        this.symbol(')');
        return { kind: 'case', fn: name, arg };
      });
    const literal = this.literal();
    if (literal) return literal;
    if (this.token.kind !== 'name' || RESERVED.has(this.token.text.toUpperCase()))
      this.fail('a value or a property path');
    return this.path();
  }

  private literalOrFail(): Literal {
    return this.literal() ?? this.fail('a string, number, true, false or null');
  }

  private literal(): Literal | undefined {
    const t = this.token;
    if (t.kind === 'string' || t.kind === 'number') {
      this.at++;
      return { kind: 'literal', value: t.value };
    }
    const word = t.kind === 'name' ? t.text.toUpperCase() : '';
    const words: Record<string, Literal['value']> = { TRUE: true, FALSE: false, NULL: null };
    if (word in words) {
      this.at++;
      return { kind: 'literal', value: words[word] as Literal['value'] };
    }
    return undefined;
  }

  private path(): Path {
    const position = this.token.position;
    const segments = [this.name(true)];
    while (this.isSymbol('.')) {
      this.at++;
      segments.push(this.name(false));
    }
    return { kind: 'path', segments, position };
  }

  /** A keyword can name a property after a dot (`tags.in`), not at the start of a path. */
  private name(first: boolean): string {
    const t = this.token;
    if (t.kind !== 'name' || (first && RESERVED.has(t.text.toUpperCase())))
      this.fail('a property name');
    this.at++;
    return this.allowedName(t, 'a property name');
  }
}

/** Parses a query; a malformed one is a 400 BadRequest naming the position and the token. */
export function parseTwinQuery(text: string): TwinQuery {
  if (text.length > MAX_QUERY_LENGTH)
    throw new RegistryError(
      'BadRequest',
      `The query is ${text.length} characters long: at most ${MAX_QUERY_LENGTH} are allowed`,
    );
  return new Parser(tokenize(text)).query();
}

/**
 * Parses a configuration's or job's condition (see Parser.target) into a query over the twins
 * it selects; a malformed one is a 400 naming the position and the token, as for queries.
 */
export function parseTwinCondition(text: string, modules = false): TwinQuery {
  if (text.length > MAX_QUERY_LENGTH)
    throw new RegistryError(
      'BadRequest',
      `The condition is ${text.length} characters long: at most ${MAX_QUERY_LENGTH} are allowed`,
    );
  return new Parser(tokenize(text)).target(modules);
}
