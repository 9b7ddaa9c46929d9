/**
 * The two ways list endpoints page (zendesk-api.md §4.2): cursor pagination (`page[size]`,
 * `page[after]`, answered with `meta` + `links`) and offset pagination (`page`, `per_page`,
 * answered with `next_page`/`previous_page`/`count`), which refuses to go past 10,000 records.
 */
import { invalidPaginationDepth } from './error-bodies.js';

export type Query = Readonly<Record<string, string | undefined>>;

export interface PageAnswer {
  readonly status: number;
  readonly body: unknown;
}

const maxPageSize = 100;
const offsetCeiling = 10_000;

interface SortKey<T> {
  readonly name: string;
  readonly value: (item: T) => number;
}

function encodeCursor(position: readonly [number, number]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'number')) {
      return [parsed[0] as number, parsed[1] as number];
    }
  } catch {
    // an unreadable cursor is answered below like Zendesk answers a bad parameter
  }
  return undefined;
}

/**
 * Pages `items` (any order) for a list endpoint. `render` turns one item into its wire form,
 * `key` names the envelope member (`users`), `path` is the endpoint path for the links.
 */
export function pageList<T extends { readonly id: number }>(
  items: readonly T[],
  query: Query,
  key: string,
  path: string,
  baseUrl: string,
  render: (item: T) => unknown,
  sortKeys: readonly SortKey<T>[] = [],
): PageAnswer {
  const cursorMode =
    query['page[size]'] !== undefined || query['page[after]'] !== undefined || query['page[before]'] !== undefined;
  if (cursorMode) {
    const sortParam = query.sort ?? 'id';
    const descending = sortParam.startsWith('-');
    const sortName = descending ? sortParam.slice(1) : sortParam;
    const sortKey =
      sortName === 'id' ? { name: 'id', value: (item: T) => item.id } : sortKeys.find((k) => k.name === sortName);
    if (sortKey === undefined) {
      return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'sort is not valid' } };
    }
    const size = Math.min(maxPageSize, Math.max(1, Number(query['page[size]'] ?? maxPageSize) || maxPageSize));
    const position = (item: T): [number, number] => [sortKey.value(item), item.id];
    const compare = (a: readonly [number, number], b: readonly [number, number]) =>
      (a[0] - b[0] || a[1] - b[1]) * (descending ? -1 : 1);
    const sorted = [...items].sort((a, b) => compare(position(a), position(b)));
    let start = 0;
    const after = query['page[after]'];
    if (after !== undefined) {
      const cursor = decodeCursor(after);
      if (cursor === undefined) {
        return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'page[after] is not valid' } };
      }
      start = sorted.findIndex((item) => compare(position(item), cursor) > 0);
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + size);
    const hasMore = start + size < sorted.length;
    const first = page[0];
    const last = page.at(-1);
    const afterCursor = last === undefined ? null : encodeCursor(position(last));
    const beforeCursor = first === undefined ? null : encodeCursor(position(first));
    const link = (name: string, cursor: string) =>
      `${baseUrl}${path}.json?page%5Bsize%5D=${size}&page%5B${name}%5D=${cursor}${query.sort === undefined ? '' : `&sort=${query.sort}`}`;
    return {
      status: 200,
      body: {
        [key]: page.map(render),
        meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
        links: {
          next: hasMore && afterCursor !== null ? link('after', afterCursor) : null,
          prev: beforeCursor !== null && start > 0 ? link('before', beforeCursor) : null,
        },
      },
    };
  }
  const perPage = Math.min(maxPageSize, Math.max(1, Number(query.per_page ?? maxPageSize) || maxPageSize));
  const pageNumber = Math.max(1, Number(query.page ?? 1) || 1);
  const offset = (pageNumber - 1) * perPage;
  // §4.2 / trap 10: records beyond 10,000 are refused.
  if (offset >= offsetCeiling) return { status: 400, body: invalidPaginationDepth };
  const sorted = [...items].sort((a, b) => a.id - b.id);
  const page = sorted.slice(offset, offset + perPage);
  const link = (number: number) => `${baseUrl}${path}.json?page=${number}&per_page=${perPage}`;
  return {
    status: 200,
    body: {
      [key]: page.map(render),
      next_page: offset + perPage < sorted.length ? link(pageNumber + 1) : null,
      previous_page: pageNumber > 1 ? link(pageNumber - 1) : null,
      count: sorted.length,
    },
  };
}
