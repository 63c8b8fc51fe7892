/** A parsed query of the IoT Hub query language over twins (see parseTwinQuery). */
export interface TwinQuery {
  select: Selection;
  from: 'devices' | 'devices.modules';
  where: Condition | null;
  groupBy: Path[];
}

export type Selection = { kind: 'all' } | { kind: 'fields'; items: SelectItem[] };

export type SelectItem =
  { kind: 'path'; path: Path; alias: string } | { kind: 'count'; alias: string };

/** A property path, e.g. `tags.site` → ['tags', 'site']. */
export interface Path {
  kind: 'path';
  segments: string[];
  /** Where it starts in the query (1-based), for error messages. */
  position: number;
}

export interface Literal {
  kind: 'literal';
  value: string | number | boolean | null;
}

export type Operand = Path | Literal | { kind: 'case'; fn: 'LOWER' | 'UPPER'; arg: Operand };

export type Comparison = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type TypeCheck =
  'IS_DEFINED' | 'IS_NULL' | 'IS_STRING' | 'IS_NUMBER' | 'IS_BOOL' | 'IS_OBJECT';

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; op: Comparison; left: Operand; right: Operand }
  | { kind: 'in'; negated: boolean; operand: Operand; values: Literal[] }
  | { kind: 'check'; fn: TypeCheck; arg: Operand }
  | { kind: 'affix'; fn: 'STARTSWITH' | 'ENDSWITH'; arg: Operand; affix: Operand };
