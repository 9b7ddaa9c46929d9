/**
 * The OData-flavoured archive queries behind `GET /Person`, `/Contact`, `/Ticket`, `/User` and
 * `/Archive/{provider}` (superoffice-api.md §4): `$select`, `$filter`, `$orderBy`, `$top`, `$skip`,
 * answered in SLIM mode as `{odata.metadata, odata.nextLink: null, value: [...]}` with a string
 * `PrimaryKey` and camelCase columns.
 *
 * Filter operators follow each column's restriction type (§4.3). The open questions take the
 * pessimistic reading: `after`/`before` on a `date` column compare whole days and are strict
 * (§9 item 3), `afterTime` on a `date` column is refused, and `le`/`ge` fail as SuperOffice's own
 * test file says they do. An `associate` column (AllUsers/InternalUsers `associateDbId`, Ticket
 * `ownedBy/associateDbId`: AP-allusers, AP-ticket) takes its documented operators
 * (`associateIsOneOf`, `associateIsNotOneOf`, `currentAssociate`: D-RESTR) and the `eq`/`gt` that
 * SuperOffice's own samples use on it (Q-Associate-User); anything else (`in`, `lt`, ...) is a 400
 * unless `lenientOperators` is set.
 *
 * `$entities`: which of a provider's entities the rows come from. Its default is not settled
 * (§9 item 5), so by default an omitted `$entities` means the provider's first entity only
 * (`entitiesDefault: 'first'`); `'all'` takes every entity.
 */
import { badRequest } from './api-error.js';
import { formatWireDate, parseWireDate } from './tenant-time.js';

export type ColumnType = 'int' | 'string' | 'bool' | 'date' | 'datetime' | 'timeSpan' | 'associate';
export type CellValue = number | string | boolean | null;

export interface ArchiveColumn<Row> {
  readonly name: string;
  readonly type: ColumnType;
  /** Dates are instants in milliseconds; null = no value. */
  readonly value: (row: Row) => CellValue;
}

export interface ArchiveProvider<Row> {
  readonly entityName: (row: Row) => string;
  /** The provider's documented entities, in the documented order (the first is the harsh default). */
  readonly entities?: readonly string[];
  /** Whether a row belongs to the asked entities; default: its entityName is asked (or `all`). */
  readonly includes?: (row: Row, entities: ReadonlySet<string>, caller: number) => boolean;
  readonly primaryKey: (row: Row) => number;
  readonly columns: readonly ArchiveColumn<Row>[];
  /** The zone date columns are shown and filtered in (UTC for Created/Updated, the tenant's for tickets). */
  readonly timeZone: string;
  rows(): Iterable<Row>;
}

export interface ArchiveQuery {
  readonly select?: string;
  readonly filter?: string;
  readonly orderBy?: string;
  readonly top?: string;
  readonly skip?: string;
  readonly entities?: string;
}

/** How strictly the archive behaves where the documentation is silent (see the file comment). */
export interface ArchiveSettings {
  readonly entitiesDefault: 'first' | 'all';
  readonly lenientOperators: boolean;
  /** The associate the request runs as (`currentAssociate`, "deleted by me"). */
  readonly caller: number;
  /** Whether the Dynamic provider lists soft-deleted person and contact rows (not documented either way). */
  readonly dynamicListsDeleted: boolean;
}

export const defaultArchiveSettings: ArchiveSettings = {
  entitiesDefault: 'first',
  lenientOperators: false,
  caller: 1,
  dynamicListsDeleted: true,
};

export interface ArchiveAnswer {
  'odata.metadata': string;
  'odata.nextLink': null;
  value: Record<string, CellValue>[];
}

type Predicate<Row> = (row: Row) => boolean;

/** The `$select`, `$filter`, ... query parameters, matched case-insensitively (`$orderby` = `$orderBy`). */
export function archiveQueryFrom(query: unknown): ArchiveQuery {
  const parameters: Record<string, string> = {};
  if (typeof query === 'object' && query !== null) {
    for (const [key, value] of Object.entries(query)) {
      if (typeof value === 'string') parameters[key.toLowerCase()] = value;
    }
  }
  return {
    select: parameters.$select,
    filter: parameters.$filter,
    orderBy: parameters.$orderby,
    top: parameters.$top,
    skip: parameters.$skip,
    entities: parameters.$entities,
  };
}

/** The entities a query asks for: the named ones, else the default the settings choose. */
function askedEntities<Row>(provider: ArchiveProvider<Row>, query: ArchiveQuery, settings: ArchiveSettings) {
  const documented = provider.entities ?? [];
  if (query.entities === undefined || query.entities.trim() === '') {
    const first = documented[0];
    return settings.entitiesDefault === 'all' || first === undefined
      ? new Set(['all', ...documented])
      : new Set([first]);
  }
  const named = query.entities.split(',').map((name) => name.trim());
  for (const name of named) {
    if (documented.length > 0 && !documented.some((entity) => entity.toLowerCase() === name.toLowerCase())) {
      throw badRequest(`Unknown entity '${name}'`);
    }
  }
  return new Set(named.map((name) => documented.find((entity) => entity.toLowerCase() === name.toLowerCase()) ?? name));
}

export function runArchiveQuery<Row>(
  provider: ArchiveProvider<Row>,
  query: ArchiveQuery,
  apiBase: string,
  settings: ArchiveSettings = defaultArchiveSettings,
): ArchiveAnswer {
  const column = (name: string) => {
    const found = provider.columns.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
    if (found === undefined) throw badRequest(`Unknown column '${name}'`);
    return found;
  };
  const selected =
    query.select === undefined || query.select.trim() === ''
      ? provider.columns
      : query.select
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '')
          .map(column);
  const predicate =
    query.filter === undefined || query.filter.trim() === ''
      ? () => true
      : parseFilter(query.filter, column, provider.timeZone, settings);
  const entities = askedEntities(provider, query, settings);
  const includes = provider.includes ?? ((row: Row) => entities.has('all') || entities.has(provider.entityName(row)));
  const ordering = parseOrderBy(query.orderBy, column);
  const top = parseCount(query.top, '$top');
  const skip = parseCount(query.skip, '$skip') ?? 0;

  const matching: Row[] = [];
  for (const row of provider.rows()) if (includes(row, entities, settings.caller) && predicate(row)) matching.push(row);
  matching.sort((left, right) => {
    for (const { column: by, descending } of ordering) {
      const order = compareCells(by.value(left), by.value(right));
      if (order !== 0) return descending ? -order : order;
    }
    return provider.primaryKey(left) - provider.primaryKey(right);
  });
  const page = matching.slice(skip, top === undefined ? undefined : skip + top);
  return {
    'odata.metadata': `${apiBase}/Archive/$metadata`,
    'odata.nextLink': null,
    value: page.map((row) => {
      const out: Record<string, CellValue> = {
        PrimaryKey: String(provider.primaryKey(row)),
        EntityName: provider.entityName(row),
      };
      for (const selectedColumn of selected) out[selectedColumn.name] = render(selectedColumn, row, provider.timeZone);
      return out;
    }),
  };
}

/** SLIM display values: dates as zone-less ISO strings, a `date` column at day precision. */
function render<Row>(column: ArchiveColumn<Row>, row: Row, timeZone: string): CellValue {
  const value = column.value(row);
  if (value === null || typeof value !== 'number') return value;
  if (column.type === 'datetime') return formatWireDate(value, timeZone);
  if (column.type === 'date') return `${formatWireDate(value, timeZone).slice(0, 10)}T00:00:00`;
  return value;
}

function parseCount(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${name} must be a non-negative integer`);
  return value;
}

function parseOrderBy<Row>(
  text: string | undefined,
  column: (name: string) => ArchiveColumn<Row>,
): { column: ArchiveColumn<Row>; descending: boolean }[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((part) => {
    const [name = '', direction = 'asc'] = part.trim().split(/\s+/);
    if (direction !== 'asc' && direction !== 'desc') throw badRequest(`Unknown sort direction '${direction}'`);
    return { column: column(name), descending: direction === 'desc' };
  });
}

function compareCells(left: CellValue, right: CellValue): number {
  if (left === right) return 0;
  if (left === null) return -1;
  if (right === null) return 1;
  if (typeof left === 'string' && typeof right === 'string') return left.localeCompare(right);
  return Number(left) < Number(right) ? -1 : 1;
}

// --- $filter ---

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'punct'; text: '(' | ')' | ',' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index++;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char });
      index++;
    } else if (char === "'") {
      let value = '';
      index++;
      for (;;) {
        if (index >= text.length) throw badRequest('Unterminated string in $filter');
        if (text[index] === "'" && text[index + 1] === "'") {
          value += "'";
          index += 2;
        } else if (text[index] === "'") {
          index++;
          break;
        } else {
          value += text[index];
          index++;
        }
      }
      tokens.push({ kind: 'string', text: value });
    } else {
      const start = index;
      while (index < text.length && !/[\s(),']/.test(text[index] ?? '')) index++;
      tokens.push({ kind: 'word', text: text.slice(start, index) });
    }
  }
  return tokens;
}

const unaryDateOperators = new Set([
  'today',
  'yesterday',
  'thisweek',
  'lastweek',
  'thismonth',
  'lastmonth',
  'thisyear',
]);

function parseFilter<Row>(
  text: string,
  column: (name: string) => ArchiveColumn<Row>,
  timeZone: string,
  settings: ArchiveSettings,
): Predicate<Row> {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => {
    const token = tokens[position++];
    if (token === undefined) throw badRequest('Unexpected end of $filter');
    return token;
  };
  const isWord = (token: Token | undefined, word: string) =>
    token?.kind === 'word' && token.text.toLowerCase() === word;

  const expression = (): Predicate<Row> => {
    let left = conjunction();
    while (isWord(peek(), 'or')) {
      next();
      const right = conjunction();
      const previous = left;
      left = (row) => previous(row) || right(row);
    }
    return left;
  };
  const conjunction = (): Predicate<Row> => {
    let left = factor();
    while (isWord(peek(), 'and')) {
      next();
      const right = factor();
      const previous = left;
      left = (row) => previous(row) && right(row);
    }
    return left;
  };
  const factor = (): Predicate<Row> => {
    const token = peek();
    if (token?.kind === 'punct' && token.text === '(') {
      next();
      const inner = expression();
      const close = next();
      if (close.kind !== 'punct' || close.text !== ')') throw badRequest('Expected ) in $filter');
      return inner;
    }
    return comparison();
  };
  const literal = (): string => {
    const token = next();
    if (token.kind === 'punct') throw badRequest(`Unexpected '${token.text}' in $filter`);
    return token.text;
  };
  const operands = (): string[] => {
    const token = peek();
    if (token?.kind === 'punct' && token.text === '(') {
      next();
      const values: string[] = [];
      for (;;) {
        values.push(literal());
        const separator = next();
        if (separator.kind === 'punct' && separator.text === ')') break;
        if (separator.kind !== 'punct' || separator.text !== ',') throw badRequest('Expected , or ) in $filter');
      }
      return values;
    }
    return [literal()];
  };
  const comparison = (): Predicate<Row> => {
    const nameToken = next();
    if (nameToken.kind !== 'word') throw badRequest('Expected a column name in $filter');
    const target = column(nameToken.text);
    const operatorToken = next();
    if (operatorToken.kind !== 'word') throw badRequest(`Expected an operator after ${target.name}`);
    const operator = operatorToken.text.toLowerCase();
    const values = unaryDateOperators.has(operator) || operator === 'currentassociate' ? [] : operands();
    return comparisonFor(target, operator, values, timeZone, settings);
  };

  const predicate = expression();
  if (position !== tokens.length) throw badRequest('Unexpected text at the end of $filter');
  return predicate;
}

function comparisonFor<Row>(
  target: ArchiveColumn<Row>,
  operator: string,
  values: readonly string[],
  timeZone: string,
  settings: ArchiveSettings,
): Predicate<Row> {
  const refuse = () => badRequest(`Operator '${operator}' is not supported for column '${target.name}'`);
  const first = values[0] ?? '';
  switch (target.type) {
    case 'associate': {
      const ids = values.map(Number);
      const cell = (row: Row) => Number(target.value(row) ?? 0);
      switch (operator) {
        case 'associateisoneof': {
          const set = new Set(ids);
          return (row) => set.has(cell(row));
        }
        case 'associateisnotoneof': {
          const set = new Set(ids);
          return (row) => !set.has(cell(row));
        }
        case 'currentassociate':
          return (row) => cell(row) === settings.caller;
        // Not in the restriction-type table, but in SuperOffice's own samples (Q-Associate-User).
        case 'eq':
          return (row) => cell(row) === (ids[0] ?? 0);
        case 'gt':
          return (row) => cell(row) > (ids[0] ?? 0);
        default:
          if (!settings.lenientOperators) throw refuse();
          return comparisonFor({ ...target, type: 'int' }, operator, values, timeZone, settings);
      }
    }
    case 'int':
    case 'timeSpan': {
      const numbers = values.map((value) => {
        const number = Number(value);
        if (!Number.isFinite(number)) throw badRequest(`'${value}' is not a number`);
        return number;
      });
      const [a = 0, b = 0] = numbers;
      const cell = (row: Row) => Number(target.value(row) ?? 0);
      switch (operator) {
        case 'eq':
        case 'equals':
        case '=':
          return (row) => cell(row) === a;
        case 'ne':
        case 'unequals':
          return (row) => cell(row) !== a;
        case 'gt':
        case 'greater':
          return (row) => cell(row) > a;
        case 'lt':
        case 'less':
          return (row) => cell(row) < a;
        case 'between':
          return (row) => cell(row) >= a && cell(row) <= b;
        case 'in': {
          const set = new Set(numbers);
          return (row) => set.has(cell(row));
        }
        default:
          throw refuse();
      }
    }
    case 'string': {
      const cell = (row: Row) => String(target.value(row) ?? '').toLowerCase();
      const wanted = first.toLowerCase();
      switch (operator) {
        case 'eq':
        case 'is':
        case 'equals':
          return (row) => cell(row) === wanted;
        case 'isnot':
        case 'ne':
          return (row) => cell(row) !== wanted;
        case 'begins':
          return (row) => cell(row).startsWith(wanted);
        case 'notbegins':
          return (row) => !cell(row).startsWith(wanted);
        case 'contains':
          return (row) => cell(row).includes(wanted);
        case 'notcontains':
          return (row) => !cell(row).includes(wanted);
        case 'in': {
          const set = new Set(values.map((value) => value.toLowerCase()));
          return (row) => set.has(cell(row));
        }
        default:
          throw refuse();
      }
    }
    case 'bool': {
      if (operator !== 'set' && operator !== 'eq') throw refuse();
      const wanted = first === 'true' || first === '1';
      return (row) => Boolean(target.value(row)) === wanted;
    }
    case 'date':
    case 'datetime': {
      const instant = (row: Row) => {
        const value = target.value(row);
        return typeof value === 'number' ? value : null;
      };
      const day = (ms: number) => formatWireDate(ms, timeZone).slice(0, 10);
      const parse = (value: string) => {
        const ms = parseWireDate(value, timeZone);
        if (Number.isNaN(ms)) throw badRequest(`'${value}' is not a date`);
        return ms;
      };
      const withValue =
        (test: (ms: number) => boolean): Predicate<Row> =>
        (row) => {
          const ms = instant(row);
          return ms !== null && test(ms);
        };
      if (operator === 'aftertime' || operator === 'beforetime' || operator === 'datetime') {
        // Exact time filters exist only for datetime columns; a date column keeps only the day.
        if (target.type !== 'datetime') throw refuse();
        const bound = parse(first);
        if (operator === 'aftertime') return withValue((ms) => ms >= bound);
        if (operator === 'beforetime') return withValue((ms) => ms < bound);
        return withValue((ms) => ms === bound);
      }
      const dayOf = (value: string) => day(parse(value));
      switch (operator) {
        case 'after': {
          const bound = dayOf(first);
          return withValue((ms) => day(ms) > bound);
        }
        case 'before': {
          const bound = dayOf(first);
          return withValue((ms) => day(ms) < bound);
        }
        case 'beforeorequal': {
          const bound = dayOf(first);
          return withValue((ms) => day(ms) <= bound);
        }
        case 'date':
        case 'eq': {
          const bound = dayOf(first);
          return withValue((ms) => day(ms) === bound);
        }
        case 'between':
        case 'datebetween': {
          const low = dayOf(first);
          const high = dayOf(values[1] ?? first);
          return withValue((ms) => day(ms) >= low && day(ms) <= high);
        }
        default:
          throw refuse();
      }
    }
  }
}
