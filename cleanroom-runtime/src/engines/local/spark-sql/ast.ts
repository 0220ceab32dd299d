/** The parsed form of the Spark SQL subset the front reads (anything else is a parse error or a refusal). */

export interface TypeSpec {
  name: string;
  /** decimal(p, s), varchar(n), char(n) arguments. */
  args: number[];
  element?: TypeSpec;
  key?: TypeSpec;
  value?: TypeSpec;
  fields?: { name: string; type: TypeSpec }[];
}

export type Literal =
  | { k: 'null' }
  | { k: 'boolean'; value: boolean }
  | { k: 'string'; value: string }
  | { k: 'number'; text: string }
  | { k: 'binary'; hex: string }
  | { k: 'date'; text: string }
  | { k: 'timestamp'; text: string; ntz: boolean }
  | { k: 'interval'; text: string };

export interface WindowSpec {
  base?: string;
  partitionBy: Expr[];
  orderBy: OrderItem[];
  frame?: Frame;
}

export interface FrameBound {
  k: 'unbounded_preceding' | 'unbounded_following' | 'current_row' | 'preceding' | 'following';
  offset?: Expr;
}

export interface Frame {
  unit: 'rows' | 'range';
  start: FrameBound;
  end: FrameBound;
}

export type Expr =
  | { k: 'lit'; lit: Literal }
  | { k: 'col'; parts: string[] }
  | { k: 'star'; qualifier?: string[] }
  | { k: 'param'; name: string }
  | { k: 'unary'; op: '-' | '+' | '~' | 'not'; arg: Expr }
  | { k: 'bin'; op: string; left: Expr; right: Expr }
  | { k: 'is'; arg: Expr; what: 'null' | 'true' | 'false' | 'unknown'; not: boolean }
  | { k: 'distinctfrom'; left: Expr; right: Expr; not: boolean }
  | { k: 'between'; arg: Expr; low: Expr; high: Expr; not: boolean }
  | { k: 'in'; arg: Expr; list: Expr[]; not: boolean }
  | { k: 'insub'; arg: Expr; query: Query; not: boolean }
  | { k: 'like'; op: 'like' | 'ilike' | 'rlike'; arg: Expr; pattern: Expr; escape?: string; not: boolean; quantifier?: 'any' | 'all' }
  | { k: 'case'; operand?: Expr; whens: [Expr, Expr][]; else?: Expr }
  | { k: 'cast'; arg: Expr; type: TypeSpec; mode: 'cast' | 'try' | 'op' }
  | { k: 'call'; name: string; args: Expr[]; distinct: boolean; star: boolean; filter?: Expr; over?: WindowSpec | string; nulls?: 'ignore' | 'respect'; syntax?: string }
  | { k: 'exists'; query: Query; not: boolean }
  | { k: 'subquery'; query: Query }
  | { k: 'tuple'; items: Expr[] }
  | { k: 'field'; arg: Expr; name: string }
  | { k: 'index'; arg: Expr; index: Expr }
  | { k: 'named'; expr: Expr; name: string }
  | { k: 'unsupported'; what: string };

export interface SelectItem {
  expr: Expr;
  alias?: string;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  nulls?: 'first' | 'last';
}

export type Relation =
  | { k: 'table'; name: string[]; alias?: string; columns?: string[] }
  | { k: 'derived'; query: Query; alias?: string; columns?: string[] }
  | { k: 'values'; rows: Expr[][]; alias?: string; columns?: string[] }
  | { k: 'tvf'; name: string; args: Expr[]; alias?: string; columns?: string[] }
  | { k: 'join'; type: 'inner' | 'left' | 'right' | 'full' | 'cross' | 'semi' | 'anti'; natural: boolean; left: Relation; right: Relation; on?: Expr; using?: string[] };

export interface GroupBy {
  items: Expr[];
  /** GROUP BY ALL, ROLLUP, CUBE, GROUPING SETS: refused. */
  special?: string;
}

export interface Select {
  k: 'select';
  distinct: boolean;
  items: SelectItem[];
  from: Relation[];
  where?: Expr;
  groupBy?: GroupBy;
  having?: Expr;
  windows: Map<string, WindowSpec>;
  qualify?: Expr;
}

export type SetBody =
  | Select
  | { k: 'setop'; op: 'union' | 'except' | 'intersect'; all: boolean; byName: boolean; left: SetBody; right: SetBody }
  | { k: 'values'; rows: Expr[][]; columns?: string[] }
  | { k: 'nested'; query: Query }
  | { k: 'tableref'; name: string[] };

export interface Query {
  with: { name: string; columns?: string[]; query: Query }[];
  body: SetBody;
  orderBy: OrderItem[];
  limit?: Expr;
  offset?: Expr;
}

export interface ColumnDef {
  name: string;
  type: TypeSpec;
}

export type Statement =
  | { k: 'query'; query: Query }
  | { k: 'create_view'; name: string[]; replace: boolean; ifNotExists: boolean; temporary: boolean; columns?: string[]; query: Query }
  | { k: 'create_table'; name: string[]; replace: boolean; ifNotExists: boolean; columns?: ColumnDef[]; query?: Query }
  | { k: 'insert'; name: string[]; overwrite: boolean; columns?: string[]; query: Query }
  | { k: 'drop'; what: 'table' | 'view'; name: string[]; ifExists: boolean }
  | { k: 'set'; text: string };
