/**
 * A recursive-descent parser for the Spark SQL subset local rehearsal reads: queries (WITH, set operations,
 * VALUES, joins, subqueries, windows), temporary views and tables, INSERT, DROP. Precedence and clause order
 * follow Spark's grammar (SqlBaseParser.g4): NOT < AND < OR for booleans; comparison < | < ^ < & < (+ - ||) <
 * (* / % DIV) < unary for values; BETWEEN/IN/LIKE/IS apply to a whole value expression.
 */
import type { ColumnDef, Expr, Frame, FrameBound, GroupBy, OrderItem, Query, Relation, Select, SelectItem, SetBody, Statement, TypeSpec, WindowSpec } from './ast';
import { parseError, Refusal } from './errors';
import { tokenize, type Token } from './lexer';

/** Words that end an expression or a relation, so they are never read as an implicit alias. */
const RESERVED = new Set(
  (
    'all and anti any as asc between both by case cast cluster cross current distinct distribute desc else end except exists false fetch filter ' +
    'following for from full group grouping having in inner intersect interval is join lateral leading left like ilike rlike limit minus natural not null ' +
    'nulls offset on or order outer over partition pivot preceding qualify range right rows select semi some sort table then to trailing true ' +
    'unbounded union unpivot using values when where window with'
  ).split(' '),
);

export function parseStatement(sql: string): Statement {
  const parser = new Parser(tokenize(sql));
  const statement = parser.statement();
  parser.expectEnd();
  return statement;
}

class Parser {
  private i = 0;

  constructor(private readonly tokens: Token[]) {}

  // ---- token helpers ----
  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.i++;
    return token;
  }
  private isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }
  private isOp(op: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'op' && token.text === op;
  }
  private acceptWord(...words: string[]): boolean {
    if (!words.every((w, n) => this.isWord(w, n))) return false;
    this.i += words.length;
    return true;
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  private expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail(`expected ${word.toUpperCase()}`);
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail(`expected '${op}'`);
  }
  private fail(message: string): never {
    const token = this.peek();
    const near = token.kind === 'eof' ? 'end of input' : `'${token.text}'`;
    throw parseError(`${message} at or near ${near} (position ${token.pos})`);
  }
  expectEnd(): void {
    this.acceptOp(';');
    if (this.peek().kind !== 'eof') this.fail('unexpected input');
  }

  /** An identifier: plain (not reserved unless `allowReserved`) or back-quoted. */
  private identifier(allowReserved = false): string {
    const token = this.peek();
    if (token.kind === 'quoted') return this.next().text;
    if (token.kind === 'ident' && (allowReserved || !RESERVED.has(token.text.toLowerCase()))) return this.next().text;
    return this.fail('expected a name');
  }
  private isIdentifier(): boolean {
    const token = this.peek();
    return token.kind === 'quoted' || (token.kind === 'ident' && !RESERVED.has(token.text.toLowerCase()));
  }
  private qualifiedName(): string[] {
    const parts = [this.identifier(true)];
    while (this.isOp('.')) {
      this.next();
      parts.push(this.identifier(true));
    }
    return parts;
  }
  private identifierList(): string[] {
    this.expectOp('(');
    const names = [this.identifier(true)];
    while (this.acceptOp(',')) names.push(this.identifier(true));
    this.expectOp(')');
    return names;
  }

  // ---- statements ----
  statement(): Statement {
    if (this.isWord('select') || this.isWord('with') || this.isWord('values') || this.isOp('(') || this.isWord('from') || this.isWord('table')) {
      return { k: 'query', query: this.query() };
    }
    if (this.acceptWord('create')) return this.create();
    if (this.acceptWord('insert')) return this.insert();
    if (this.acceptWord('drop')) {
      const what = this.acceptWord('table') ? 'table' : this.acceptWord('view') ? 'view' : this.fail('expected TABLE or VIEW');
      const ifExists = this.acceptWord('if', 'exists');
      return { k: 'drop', what, name: this.qualifiedName(), ifExists };
    }
    if (this.isWord('set') || this.isWord('reset')) {
      const text = this.tokens
        .slice(this.i, -1)
        .map((t) => t.text)
        .join(' ');
      this.i = this.tokens.length - 1;
      return { k: 'set', text };
    }
    const word = this.peek().text.toUpperCase() || 'an empty statement';
    throw new Refusal(`the ${word} statement`, 'local rehearsal runs queries, temporary views, tables, INSERT and DROP');
  }

  private create(): Statement {
    const replace = this.acceptWord('or', 'replace');
    const temporary = this.acceptWord('temporary') || this.acceptWord('temp');
    if (this.acceptWord('global')) throw new Refusal('CREATE GLOBAL TEMPORARY VIEW');
    if (this.acceptWord('view')) {
      const ifNotExists = this.acceptWord('if', 'not', 'exists');
      const name = this.qualifiedName();
      const columns = this.isOp('(') ? this.viewColumns() : undefined;
      this.expectWord('as');
      return { k: 'create_view', name, replace, ifNotExists, temporary, columns, query: this.query() };
    }
    if (temporary) this.fail('expected VIEW');
    if (this.acceptWord('external')) throw new Refusal('CREATE EXTERNAL TABLE');
    this.expectWord('table');
    const ifNotExists = this.acceptWord('if', 'not', 'exists');
    const name = this.qualifiedName();
    let columns: ColumnDef[] | undefined;
    if (this.isOp('(')) {
      this.next();
      columns = [];
      do {
        const column = this.identifier(true);
        columns.push({ name: column, type: this.typeSpec() });
        if (this.isWord('not') && this.isWord('null', 1)) throw new Refusal('NOT NULL column constraints');
        if (this.isWord('comment')) throw new Refusal('column comments');
      } while (this.acceptOp(','));
      this.expectOp(')');
    }
    if (this.acceptWord('using')) this.identifier(true);
    if (this.isWord('partitioned') || this.isWord('options') || this.isWord('location') || this.isWord('tblproperties') || this.isWord('comment') || this.isWord('clustered')) {
      throw new Refusal(`CREATE TABLE ... ${this.peek().text.toUpperCase()}`);
    }
    let query: Query | undefined;
    if (this.acceptWord('as')) query = this.query();
    if (!query && !columns) this.fail('expected column definitions or AS query');
    return { k: 'create_table', name, replace, ifNotExists, columns, query };
  }

  private viewColumns(): string[] {
    this.expectOp('(');
    const names: string[] = [];
    do {
      names.push(this.identifier(true));
      if (this.isWord('comment')) throw new Refusal('view column comments');
    } while (this.acceptOp(','));
    this.expectOp(')');
    return names;
  }

  private insert(): Statement {
    const overwrite = this.acceptWord('overwrite');
    if (!overwrite) this.expectWord('into');
    else this.acceptWord('table');
    if (!overwrite) this.acceptWord('table');
    const name = this.qualifiedName();
    if (this.isWord('partition')) throw new Refusal('INSERT ... PARTITION');
    let columns: string[] | undefined;
    if (this.isOp('(') && !this.isWord('select', 1) && !this.isWord('with', 1) && !this.isWord('values', 1)) columns = this.identifierList();
    return { k: 'insert', name, overwrite, columns, query: this.query() };
  }

  // ---- queries ----
  query(): Query {
    const ctes: Query['with'] = [];
    if (this.acceptWord('with')) {
      if (this.isWord('recursive')) throw new Refusal('WITH RECURSIVE');
      do {
        const name = this.identifier();
        const columns = this.isOp('(') ? this.identifierList() : undefined;
        this.acceptWord('as');
        this.expectOp('(');
        const query = this.query();
        this.expectOp(')');
        ctes.push({ name, columns, query });
      } while (this.acceptOp(','));
    }
    const body = this.setExpression();
    const query: Query = { with: ctes, body, orderBy: [] };
    this.queryTail(query);
    return query;
  }

  /** ORDER BY / LIMIT / OFFSET after a query body (and the refused Hive-style clauses). */
  private queryTail(query: Query): void {
    if (this.isWord('order') && this.isWord('by', 1)) {
      this.i += 2;
      query.orderBy = this.orderItems();
    }
    for (const word of ['cluster', 'distribute', 'sort']) {
      if (this.isWord(word) && this.isWord('by', 1)) throw new Refusal(`${word.toUpperCase()} BY`);
    }
    if (this.isWord('window')) throw new Refusal('a WINDOW clause after set operations');
    if (this.acceptWord('limit')) query.limit = this.acceptWord('all') ? undefined : this.expression();
    if (this.acceptWord('offset')) query.offset = this.expression();
  }

  private orderItems(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      const expr = this.expression();
      const desc = this.acceptWord('desc') ? true : (this.acceptWord('asc'), false);
      let nulls: OrderItem['nulls'];
      if (this.acceptWord('nulls')) nulls = this.acceptWord('first') ? 'first' : (this.expectWord('last'), 'last');
      items.push({ expr, desc, nulls });
    } while (this.acceptOp(','));
    return items;
  }

  private setExpression(): SetBody {
    let left = this.setTerm();
    for (;;) {
      if (this.isWord('union') || this.isWord('except') || this.isWord('minus')) {
        const word = this.next().text.toLowerCase();
        const op = word === 'union' ? 'union' : 'except';
        const { all, byName } = this.setQuantifier();
        left = { k: 'setop', op, all, byName, left, right: this.setTerm() };
      } else return left;
    }
  }

  /** INTERSECT binds tighter than UNION and EXCEPT (Spark's grammar). */
  private setTerm(): SetBody {
    let left = this.setPrimary();
    while (this.acceptWord('intersect')) {
      const { all, byName } = this.setQuantifier();
      left = { k: 'setop', op: 'intersect', all, byName, left, right: this.setPrimary() };
    }
    return left;
  }

  private setQuantifier(): { all: boolean; byName: boolean } {
    const all = this.acceptWord('all') ? true : (this.acceptWord('distinct'), false);
    const byName = this.acceptWord('by', 'name');
    return { all, byName };
  }

  private setPrimary(): SetBody {
    if (this.isOp('(')) {
      this.next();
      const query = this.query();
      this.expectOp(')');
      return { k: 'nested', query };
    }
    if (this.acceptWord('values')) {
      const rows = this.valuesRows();
      // An inline table may carry an alias and column names: VALUES (1, 2) AS t(a, b).
      const hasAs = this.acceptWord('as');
      if (hasAs || this.isIdentifier()) {
        this.identifier(hasAs);
        if (this.isOp('(')) return { k: 'values', rows, columns: this.identifierList() };
      }
      return { k: 'values', rows };
    }
    if (this.acceptWord('table')) return { k: 'tableref', name: this.qualifiedName() };
    if (this.isWord('from')) throw new Refusal('FROM-first queries');
    return this.select();
  }

  private valuesRows(): Expr[][] {
    const rows: Expr[][] = [];
    do {
      if (this.isOp('(')) {
        this.next();
        const row = [this.expression()];
        while (this.acceptOp(',')) row.push(this.expression());
        this.expectOp(')');
        rows.push(row);
      } else rows.push([this.expression()]);
    } while (this.acceptOp(','));
    return rows;
  }

  private select(): Select {
    this.expectWord('select');
    if (this.peek().kind === 'op' && this.peek().text === '/') this.fail('unexpected input');
    const distinct = this.acceptWord('distinct') ? true : (this.acceptWord('all'), false);
    const items: SelectItem[] = [];
    do items.push(this.selectItem());
    while (this.acceptOp(','));
    const select: Select = { k: 'select', distinct, items, from: [], windows: new Map() };
    if (this.acceptWord('from')) {
      do select.from.push(this.relation());
      while (this.acceptOp(','));
    }
    if (this.isWord('lateral') && this.isWord('view', 1)) throw new Refusal('LATERAL VIEW');
    if (this.acceptWord('where')) select.where = this.expression();
    if (this.isWord('group') && this.isWord('by', 1)) {
      this.i += 2;
      select.groupBy = this.groupBy();
    }
    if (this.acceptWord('having')) select.having = this.expression();
    if (this.acceptWord('window')) {
      do {
        const name = this.identifier().toLowerCase();
        this.expectWord('as');
        select.windows.set(name, this.windowSpecOrName());
      } while (this.acceptOp(','));
    }
    if (this.acceptWord('qualify')) select.qualify = this.expression();
    return select;
  }

  private windowSpecOrName(): WindowSpec {
    if (this.isOp('(')) return this.windowSpec();
    return { base: this.identifier().toLowerCase(), partitionBy: [], orderBy: [] };
  }

  private groupBy(): GroupBy {
    if (this.acceptWord('all')) return { items: [], special: 'GROUP BY ALL' };
    for (const word of ['rollup', 'cube']) {
      if (this.isWord(word) && this.isOp('(', 1)) return { items: [], special: `GROUP BY ${word.toUpperCase()}` };
    }
    if (this.isWord('grouping') && this.isWord('sets', 1)) return { items: [], special: 'GROUPING SETS' };
    const items: Expr[] = [];
    do items.push(this.expression());
    while (this.acceptOp(','));
    if (this.isWord('with') && (this.isWord('rollup', 1) || this.isWord('cube', 1))) return { items, special: `GROUP BY ... WITH ${this.peek(1).text.toUpperCase()}` };
    if (this.isWord('grouping') && this.isWord('sets', 1)) return { items, special: 'GROUPING SETS' };
    return { items };
  }

  private selectItem(): SelectItem {
    const expr = this.expression();
    if (this.acceptWord('as')) {
      if (this.isOp('(')) throw new Refusal('multi-column aliases');
      return { expr, alias: this.identifier(true) };
    }
    if (this.isIdentifier()) return { expr, alias: this.identifier() };
    return { expr };
  }

  // ---- relations ----
  private relation(): Relation {
    let left = this.relationPrimary();
    for (;;) {
      const natural = this.acceptWord('natural');
      let type: Extract<Relation, { k: 'join' }>['type'] | undefined;
      if (this.acceptWord('join') || this.acceptWord('inner', 'join')) type = 'inner';
      else if (this.acceptWord('cross', 'join')) type = 'cross';
      else if (this.acceptWord('left', 'outer', 'join') || this.acceptWord('left', 'join')) type = 'left';
      else if (this.acceptWord('right', 'outer', 'join') || this.acceptWord('right', 'join')) type = 'right';
      else if (this.acceptWord('full', 'outer', 'join') || this.acceptWord('full', 'join')) type = 'full';
      else if (this.acceptWord('left', 'semi', 'join') || this.acceptWord('semi', 'join')) type = 'semi';
      else if (this.acceptWord('left', 'anti', 'join') || this.acceptWord('anti', 'join')) type = 'anti';
      if (!type) {
        if (natural) this.fail('expected JOIN');
        return left;
      }
      if (this.isWord('lateral')) throw new Refusal('LATERAL joins');
      const right = this.relationPrimary();
      const join: Relation = { k: 'join', type, natural, left, right };
      if (!natural && type !== 'cross') {
        if (this.acceptWord('on')) join.on = this.expression();
        else if (this.acceptWord('using')) join.using = this.identifierList();
      }
      left = join;
    }
  }

  private relationPrimary(): Relation {
    let relation: Relation;
    if (this.isWord('lateral')) throw new Refusal('LATERAL subqueries');
    if (this.isOp('(')) {
      this.next();
      if (this.isWord('select') || this.isWord('with') || this.isWord('values') || this.isOp('(') || this.isWord('table')) {
        // A parenthesised query, or a parenthesised join.
        const save = this.i;
        try {
          const query = this.query();
          this.expectOp(')');
          relation = { k: 'derived', query };
        } catch (error) {
          if (!(error instanceof Error) || error.name !== 'SparkSqlError') throw error;
          this.i = save;
          relation = this.relation();
          this.expectOp(')');
          return relation;
        }
      } else {
        relation = this.relation();
        this.expectOp(')');
        return relation;
      }
    } else if (this.acceptWord('values')) {
      relation = { k: 'values', rows: this.valuesRows() };
    } else {
      const name = this.qualifiedName();
      if (this.isOp('(')) {
        this.next();
        const args: Expr[] = [];
        if (!this.isOp(')')) {
          do args.push(this.expression());
          while (this.acceptOp(','));
        }
        this.expectOp(')');
        relation = { k: 'tvf', name: name.join('.').toLowerCase(), args };
      } else relation = { k: 'table', name };
      if (this.isWord('tablesample')) throw new Refusal('TABLESAMPLE');
      if (this.isWord('version') || this.isWord('timestamp')) {
        if (this.isWord('as', 1) || this.isWord('of', 1)) throw new Refusal('time travel (VERSION/TIMESTAMP AS OF)');
      }
    }
    if (this.isWord('pivot') || this.isWord('unpivot')) throw new Refusal(this.peek().text.toUpperCase());
    const hasAs = this.acceptWord('as');
    if (hasAs || this.isIdentifier()) {
      relation.alias = this.identifier(hasAs);
      if (this.isOp('(')) relation.columns = this.identifierList();
    }
    return relation;
  }

  // ---- expressions ----
  expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.acceptWord('or')) left = { k: 'bin', op: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.acceptWord('and')) left = { k: 'bin', op: 'and', left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.acceptWord('not') || (this.isOp('!') && (this.next(), true))) return { k: 'unary', op: 'not', arg: this.not() };
    if (this.isWord('exists') && this.isOp('(', 1)) {
      this.i += 2;
      const query = this.query();
      this.expectOp(')');
      return { k: 'exists', query, not: false };
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const value = this.comparison();
    return this.predicateSuffix(value);
  }

  private predicateSuffix(value: Expr): Expr {
    if (this.acceptWord('is')) {
      const not = this.acceptWord('not');
      if (this.acceptWord('null')) return { k: 'is', arg: value, what: 'null', not };
      if (this.acceptWord('true')) return { k: 'is', arg: value, what: 'true', not };
      if (this.acceptWord('false')) return { k: 'is', arg: value, what: 'false', not };
      if (this.acceptWord('unknown')) return { k: 'is', arg: value, what: 'unknown', not };
      if (this.acceptWord('distinct', 'from')) return { k: 'distinctfrom', left: value, right: this.comparison(), not };
      this.fail('expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM');
    }
    const save = this.i;
    const not = this.acceptWord('not');
    if (this.acceptWord('between')) {
      const low = this.comparison();
      this.expectWord('and');
      return { k: 'between', arg: value, low, high: this.comparison(), not };
    }
    if (this.acceptWord('in')) {
      this.expectOp('(');
      if (this.isWord('select') || this.isWord('with') || this.isWord('values')) {
        const query = this.query();
        this.expectOp(')');
        return { k: 'insub', arg: value, query, not };
      }
      const list = [this.expression()];
      while (this.acceptOp(',')) list.push(this.expression());
      this.expectOp(')');
      return { k: 'in', arg: value, list, not };
    }
    for (const op of ['like', 'ilike', 'rlike', 'regexp'] as const) {
      if (this.acceptWord(op)) {
        const kind = op === 'regexp' ? 'rlike' : op;
        if (this.isWord('any') || this.isWord('all') || this.isWord('some')) throw new Refusal(`${op.toUpperCase()} ANY/ALL`);
        const pattern = this.comparison();
        let escape: string | undefined;
        if (this.acceptWord('escape')) {
          const token = this.next();
          if (token.kind !== 'string') this.fail('expected an escape string');
          escape = token.text;
        }
        return { k: 'like', op: kind, arg: value, pattern, escape, not };
      }
    }
    this.i = save;
    return value;
  }

  private comparison(): Expr {
    let left = this.bitOr();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'op' && ['=', '==', '<>', '!=', '<', '<=', '>', '>=', '<=>'].includes(token.text)) {
        this.next();
        const op = token.text === '==' ? '=' : token.text === '!=' ? '<>' : token.text;
        left = { k: 'bin', op, left, right: this.bitOr() };
      } else return left;
    }
  }

  private bitOr(): Expr {
    let left = this.bitXor();
    while (this.isOp('|')) {
      this.next();
      left = { k: 'bin', op: '|', left, right: this.bitXor() };
    }
    return left;
  }
  private bitXor(): Expr {
    let left = this.bitAnd();
    while (this.isOp('^')) {
      this.next();
      left = { k: 'bin', op: '^', left, right: this.bitAnd() };
    }
    return left;
  }
  private bitAnd(): Expr {
    let left = this.additive();
    while (this.isOp('&')) {
      this.next();
      left = { k: 'bin', op: '&', left, right: this.additive() };
    }
    return left;
  }
  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      if (this.isOp('+') || this.isOp('-') || this.isOp('||')) {
        const op = this.next().text;
        left = { k: 'bin', op, left, right: this.multiplicative() };
      } else return left;
    }
  }
  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
        const op = this.next().text;
        left = { k: 'bin', op, left, right: this.unary() };
      } else if (this.isWord('div')) {
        this.next();
        left = { k: 'bin', op: 'div', left, right: this.unary() };
      } else return left;
    }
  }
  private unary(): Expr {
    if (this.isOp('-') || this.isOp('+') || this.isOp('~')) {
      const op = this.next().text as '-' | '+' | '~';
      return { k: 'unary', op, arg: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(base: Expr): Expr {
    let expr = base;
    for (;;) {
      if (this.isOp('[')) {
        this.next();
        const index = this.expression();
        this.expectOp(']');
        expr = { k: 'index', arg: expr, index };
      } else if (this.isOp('.') && expr.k !== 'col') {
        this.next();
        expr = { k: 'field', arg: expr, name: this.identifier(true) };
      } else if (this.isOp('::')) {
        this.next();
        expr = { k: 'cast', arg: expr, type: this.typeSpec(), mode: 'op' };
      } else return expr;
    }
  }

  private primary(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'string': {
        let value = this.next().text;
        while (this.peek().kind === 'string') value += this.next().text;
        return { k: 'lit', lit: { k: 'string', value } };
      }
      case 'number':
        return { k: 'lit', lit: { k: 'number', text: this.next().text } };
      case 'binary':
        return { k: 'lit', lit: { k: 'binary', hex: this.next().text } };
      case 'param':
        return { k: 'param', name: this.next().text };
      case 'quoted':
        return this.columnOrCall();
      case 'op':
        if (token.text === '(') {
          this.next();
          if (this.isWord('select') || this.isWord('with') || this.isWord('values')) {
            const query = this.query();
            this.expectOp(')');
            return { k: 'subquery', query };
          }
          const items = [this.expression()];
          while (this.acceptOp(',')) items.push(this.expression());
          this.expectOp(')');
          return items.length === 1 ? items[0] : { k: 'tuple', items };
        }
        if (token.text === '*') {
          this.next();
          return { k: 'star' };
        }
        if (token.text === '?') throw new Refusal('positional parameter markers (?)', 'use named markers :name');
        return this.fail('expected an expression');
      case 'ident':
        return this.keywordPrimary() ?? this.columnOrCall();
      default:
        return this.fail('expected an expression');
    }
  }

  /** Literals and special forms introduced by a keyword; undefined when the word is a name. */
  private keywordPrimary(): Expr | undefined {
    const word = this.peek().text.toLowerCase();
    const nextToken = this.peek(1);
    switch (word) {
      case 'null':
        this.next();
        return { k: 'lit', lit: { k: 'null' } };
      case 'true':
      case 'false':
        this.next();
        return { k: 'lit', lit: { k: 'boolean', value: word === 'true' } };
      case 'date':
      case 'timestamp':
      case 'timestamp_ntz':
      case 'timestamp_ltz':
        if (nextToken.kind !== 'string') return undefined;
        this.next();
        if (word === 'date') return { k: 'lit', lit: { k: 'date', text: this.next().text } };
        return { k: 'lit', lit: { k: 'timestamp', text: this.next().text, ntz: word === 'timestamp_ntz' } };
      case 'interval':
        return this.interval();
      case 'case':
        return this.caseExpression();
      case 'cast':
      case 'try_cast':
        if (!this.isOp('(', 1)) return undefined;
        this.i += 2;
        {
          const arg = this.expression();
          this.expectWord('as');
          const type = this.typeSpec();
          this.expectOp(')');
          return { k: 'cast', arg, type, mode: word === 'cast' ? 'cast' : 'try' };
        }
      case 'current_date':
      case 'current_timestamp':
      case 'current_user':
      case 'current_timezone':
        if (this.isOp('(', 1)) return undefined;
        this.next();
        return { k: 'call', name: word, args: [], distinct: false, star: false, syntax: 'keyword' };
      default:
        return undefined;
    }
  }

  private interval(): Expr {
    this.next();
    // The interval's text is kept for the refusal message: intervals are refused except where the compiler reads them.
    const start = this.peek().pos;
    let text = '';
    while (this.peek().kind === 'string' || this.peek().kind === 'number' || (this.peek().kind === 'ident' && /^(year|month|week|day|hour|minute|second|millisecond|microsecond|to|years|months|weeks|days|hours|minutes|seconds|milliseconds|microseconds)$/i.test(this.peek().text)) || this.isOp('-')) {
      const token = this.next();
      text += (text ? ' ' : '') + (token.kind === 'string' ? `'${token.text}'` : token.text);
    }
    if (text === '') throw new Refusal('INTERVAL', `at position ${start}`);
    return { k: 'lit', lit: { k: 'interval', text } };
  }

  private caseExpression(): Expr {
    this.next();
    const operand = this.isWord('when') ? undefined : this.expression();
    const whens: [Expr, Expr][] = [];
    while (this.acceptWord('when')) {
      const condition = this.expression();
      this.expectWord('then');
      whens.push([condition, this.expression()]);
    }
    if (whens.length === 0) this.fail('expected WHEN');
    const otherwise = this.acceptWord('else') ? this.expression() : undefined;
    this.expectWord('end');
    return { k: 'case', operand, whens, else: otherwise };
  }

  /** A (qualified) column, `t.*`, or a function call with Spark's special argument syntaxes. */
  private columnOrCall(): Expr {
    const first = this.peek();
    const parts = [this.identifier(true)];
    while (this.isOp('.')) {
      if (this.isOp('*', 1)) {
        this.i += 2;
        return { k: 'star', qualifier: parts };
      }
      this.next();
      parts.push(this.identifier(true));
    }
    if (!this.isOp('(')) return { k: 'col', parts };
    if (first.kind === 'quoted' && parts.length === 1) {
      // `f`(...) is still a function call in Spark.
    }
    this.next();
    const name = parts.join('.').toLowerCase();
    const special = this.specialCall(name);
    if (special) return this.callSuffix(special);
    const call: Extract<Expr, { k: 'call' }> = { k: 'call', name, args: [], distinct: false, star: false };
    if (this.isOp(')')) {
      this.next();
      return this.callSuffix(call);
    }
    if (this.acceptWord('distinct')) call.distinct = true;
    else this.acceptWord('all');
    if (this.isOp('*') && this.isOp(')', 1)) {
      this.i += 2;
      call.star = true;
      return this.callSuffix(call);
    }
    do {
      if (this.peek().kind === 'ident' && this.isOp('->', 1)) throw new Refusal('lambda functions');
      if (this.isOp('(') && this.peek(1).kind === 'ident' && this.isOp(',', 2)) {
        // (x, y) -> ... lambdas
        const save = this.i;
        let depth = 0;
        let j = this.i;
        for (; j < this.tokens.length; j++) {
          const t = this.tokens[j];
          if (t.kind === 'op' && t.text === '(') depth++;
          if (t.kind === 'op' && t.text === ')' && --depth === 0) break;
        }
        if (this.tokens[j + 1]?.kind === 'op' && this.tokens[j + 1].text === '->') throw new Refusal('lambda functions');
        this.i = save;
      }
      if (this.peek().kind === 'ident' && this.isOp('=>', 1)) throw new Refusal('named function arguments');
      const arg = this.expression();
      // struct(a + 1 AS x): a field name inside struct().
      call.args.push(this.acceptWord('as') ? { k: 'named', expr: arg, name: this.identifier(true) } : arg);
    } while (this.acceptOp(','));
    this.expectOp(')');
    return this.callSuffix(call);
  }

  /** TRIM(BOTH x FROM y), POSITION(a IN b), SUBSTRING(s FROM p FOR n), EXTRACT(f FROM x); the '(' is read. */
  private specialCall(name: string): Extract<Expr, { k: 'call' }> | undefined {
    const call = (fn: string, args: Expr[], syntax: string): Extract<Expr, { k: 'call' }> => {
      this.expectOp(')');
      return { k: 'call', name: fn, args, distinct: false, star: false, syntax };
    };
    if (name === 'trim' && (this.isWord('both') || this.isWord('leading') || this.isWord('trailing') || this.isFromTrim())) {
      const mode = this.acceptWord('both') ? 'both' : this.acceptWord('leading') ? 'leading' : this.acceptWord('trailing') ? 'trailing' : 'both';
      let chars: Expr | undefined;
      if (!this.isWord('from')) chars = this.expression();
      this.expectWord('from');
      const source = this.expression();
      return call('trim', chars ? [source, chars] : [source], `trim_${mode}`);
    }
    if (name === 'position' && !this.isOp(')')) {
      const save = this.i;
      const needle = this.comparison();
      if (this.acceptWord('in')) return call('position', [needle, this.expression()], 'in');
      this.i = save;
      return undefined;
    }
    if ((name === 'substring' || name === 'substr') && !this.isOp(')')) {
      const save = this.i;
      const source = this.expression();
      if (this.acceptWord('from')) {
        const args = [source, this.expression()];
        if (this.acceptWord('for')) args.push(this.expression());
        return call(name, args, 'from');
      }
      this.i = save;
      return undefined;
    }
    if (name === 'extract') {
      const field = this.identifier(true);
      this.expectWord('from');
      return call('extract', [{ k: 'lit', lit: { k: 'string', value: field } }, this.expression()], 'extract');
    }
    return undefined;
  }

  private isFromTrim(): boolean {
    // trim('x' FROM s) or trim(FROM s)
    if (this.isWord('from')) return true;
    let depth = 0;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j];
      if (t.kind === 'op' && t.text === '(') depth++;
      else if (t.kind === 'op' && t.text === ')') {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && t.kind === 'op' && t.text === ',') return false;
      else if (depth === 0 && t.kind === 'ident' && t.text.toLowerCase() === 'from') return true;
    }
    return false;
  }

  private callSuffix(call: Extract<Expr, { k: 'call' }>): Expr {
    if (this.isWord('within') && this.isWord('group', 1)) throw new Refusal('WITHIN GROUP');
    if (this.acceptWord('filter')) {
      this.expectOp('(');
      this.expectWord('where');
      call.filter = this.expression();
      this.expectOp(')');
    }
    if (this.acceptWord('ignore', 'nulls')) call.nulls = 'ignore';
    else if (this.acceptWord('respect', 'nulls')) call.nulls = 'respect';
    if (this.acceptWord('over')) call.over = this.isOp('(') ? this.windowSpec() : this.identifier().toLowerCase();
    return call;
  }

  private windowSpec(): WindowSpec {
    this.expectOp('(');
    const spec: WindowSpec = { partitionBy: [], orderBy: [] };
    if (this.isIdentifier() && !this.isWord('partition') && !this.isWord('order')) spec.base = this.identifier().toLowerCase();
    if (this.acceptWord('partition', 'by') || this.acceptWord('distribute', 'by')) {
      do spec.partitionBy.push(this.expression());
      while (this.acceptOp(','));
    }
    if (this.acceptWord('order', 'by') || this.acceptWord('sort', 'by')) spec.orderBy = this.orderItems();
    if (this.isWord('rows') || this.isWord('range')) spec.frame = this.frame();
    this.expectOp(')');
    return spec;
  }

  private frame(): Frame {
    const unit = this.next().text.toLowerCase() as 'rows' | 'range';
    if (this.acceptWord('between')) {
      const start = this.frameBound();
      this.expectWord('and');
      return { unit, start, end: this.frameBound() };
    }
    return { unit, start: this.frameBound(), end: { k: 'current_row' } };
  }

  private frameBound(): FrameBound {
    if (this.acceptWord('unbounded')) {
      if (this.acceptWord('preceding')) return { k: 'unbounded_preceding' };
      this.expectWord('following');
      return { k: 'unbounded_following' };
    }
    if (this.acceptWord('current', 'row')) return { k: 'current_row' };
    const offset = this.comparison();
    if (this.acceptWord('preceding')) return { k: 'preceding', offset };
    this.expectWord('following');
    return { k: 'following', offset };
  }

  typeSpec(): TypeSpec {
    const name = this.identifier(true).toLowerCase();
    if (name === 'array' || name === 'map' || name === 'struct') {
      this.expectOp('<');
      const spec: TypeSpec = { name, args: [] };
      if (name === 'array') spec.element = this.typeSpec();
      else if (name === 'map') {
        spec.key = this.typeSpec();
        this.expectOp(',');
        spec.value = this.typeSpec();
      } else {
        spec.fields = [];
        if (!this.isOp('>')) {
          do {
            const field = this.identifier(true);
            const marker = this.peek();
            if (marker.kind === 'param') {
              // `a:int` lexes as a name and a parameter marker: read the marker as the type name.
              this.tokens[this.i] = { ...marker, kind: 'ident' };
            } else this.acceptOp(':');
            spec.fields.push({ name: field, type: this.typeSpec() });
          } while (this.acceptOp(','));
        }
      }
      this.closeAngle();
      return spec;
    }
    const args: number[] = [];
    if (name === 'interval') throw new Refusal('INTERVAL types');
    if (this.isOp('(')) {
      this.next();
      do {
        const token = this.next();
        if (token.kind !== 'number' || !/^\d+$/.test(token.text)) this.fail('expected a number');
        args.push(Number(token.text));
      } while (this.acceptOp(','));
      this.expectOp(')');
    }
    if (name === 'timestamp' && this.acceptWord('with')) throw new Refusal('TIMESTAMP WITH TIME ZONE types');
    return { name, args };
  }

  /** '>' closing a type; '>>' is not a Spark token, so only '>' appears. */
  private closeAngle(): void {
    this.expectOp('>');
  }
}
