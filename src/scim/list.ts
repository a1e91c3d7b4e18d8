/**
 * List queries (RFC 7644 §3.4.2): `filter`, `startIndex` (1-based), `count`, and the ListResponse. An
 * unfiltered page and the single-attribute lookups clients actually send (Okta `userName eq`, Entra ID
 * `externalId eq`, `displayName eq`) are answered by the store's indexes; any other filter is evaluated
 * over the organization's resources in memory (linear in the directory's size: see the closing note).
 */
import { ScimError } from './errors.ts';
import { type Filter, indexedLookup, matches, parseFilter } from './filter.ts';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
/** Declared as filter.maxResults in ServiceProviderConfig: a larger `count` is lowered to it. */
export const MAX_RESULTS = 1000;
export const DEFAULT_COUNT = 100;

export interface ListQuery {
  filter?: Filter;
  /** 0-based offset. */
  offset: number;
  count: number;
}

export function readListQuery(query: Record<string, unknown>): ListQuery {
  const filterText = single(query.filter, 'filter');
  const startIndex = integer(query.startIndex, 'startIndex') ?? 1;
  const count = integer(query.count, 'count') ?? DEFAULT_COUNT;
  if (query.sortBy !== undefined) {
    throw new ScimError(
      400,
      'Sorting is not supported (ServiceProviderConfig sort.supported is false).',
      'invalidValue',
    );
  }
  return {
    ...(filterText !== undefined && filterText.trim() !== '' ? { filter: parseFilter(filterText) } : {}),
    // RFC 7644 §3.4.2.4: a startIndex below 1 is taken as 1, a negative count as 0.
    offset: Math.max(1, startIndex) - 1,
    count: Math.min(MAX_RESULTS, Math.max(0, count)),
  };
}

export function listResponse(total: number, offset: number, resources: unknown[]) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex: offset + 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** Filters rendered resources in memory and cuts the page. */
export function filterPage<T extends Record<string, unknown>>(resources: T[], query: ListQuery) {
  const hits = query.filter ? resources.filter((r) => matches(r, query.filter as Filter)) : resources;
  return { total: hits.length, page: hits.slice(query.offset, query.offset + query.count) };
}

/** How many resources a filter that no index answers may scan (larger directories get 400 tooMany). */
export const MAX_SCAN = 200_000;

/** Where {@link listResources} reads one kind of resource (users or groups) of one organization. */
export interface ResourceSource<Row> {
  /** The store's indexed lookups, by lower-case attribute name (`username`, `externalid`, `id`, …). */
  lookups: Record<string, (value: string) => Promise<Row[]>>;
  /** An unfiltered page, with the total. */
  page: (offset: number, limit: number) => Promise<{ total: number; rows: Row[] }>;
  render: (rows: Row[]) => Promise<Record<string, unknown>[]>;
  /** "users" or "groups", and the advice of the tooMany refusal ("filter by displayName"). */
  noun: string;
  advice: string;
}

/**
 * Answers a list query: through an index when the filter is a lookup the store indexes, as a page when there is
 * no filter, else by evaluating the filter over at most {@link MAX_SCAN} resources in memory.
 *
 * @example
 * ```ts
 * const { total, resources } = await listResources(query, { lookups: { id: async (v) => [...] }, page, render,
 *   noun: 'groups', advice: 'filter by displayName' });
 * ```
 */
export async function listResources<Row>(
  query: ListQuery,
  source: ResourceSource<Row>,
): Promise<{ total: number; resources: Record<string, unknown>[] }> {
  const lookup = query.filter && indexedLookup(query.filter);
  const byIndex = lookup ? source.lookups[lookup.attribute] : undefined;
  let rows: Row[];
  if (lookup && byIndex) {
    rows = await byIndex(lookup.value);
  } else if (!query.filter) {
    const page = await source.page(query.offset, query.count);
    return { total: page.total, resources: await source.render(page.rows) };
  } else {
    const all = await source.page(0, MAX_SCAN + 1);
    if (all.total > MAX_SCAN) {
      throw new ScimError(
        400,
        `This filter would scan more than ${MAX_SCAN} ${source.noun}; ${source.advice}.`,
        'tooMany',
      );
    }
    rows = all.rows;
  }
  const { total, page } = filterPage(await source.render(rows), query);
  return { total, resources: page };
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, `Give "${name}" once.`, 'invalidValue');
  return value;
}

function integer(value: unknown, name: string): number | undefined {
  const text = single(value, name);
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,9}$/.test(text)) throw new ScimError(400, `"${name}" must be an integer.`, 'invalidValue');
  return Number(text);
}
