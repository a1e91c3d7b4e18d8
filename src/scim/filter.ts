/**
 * SCIM filters (RFC 7644 §3.4.2.2). Parsing is `scim2-parse-filter`'s (the grammar: eq ne co sw ew pr gt ge
 * lt le, and or not, grouping, value paths `emails[type eq "work"]`, attribute paths with schema URNs).
 * Evaluation is ours, because the RFC's comparison rules depend on the schema, which the parser's own tester
 * does not know: strings compare case-insensitively unless the attribute is case-exact (`id`, `externalId`,
 * member values), a complex multi-valued attribute compares by its `value`, and gt/lt on a boolean is an error.
 */
import { type Filter, parse } from 'scim2-parse-filter';
import { ScimError } from './errors.ts';
import { CASE_EXACT_PATHS, GROUP_SCHEMA, USER_SCHEMA } from './schema.ts';

/** A filter longer than this is refused before parsing (a directory client never needs more). */
export const MAX_FILTER_LENGTH = 4096;

export type { Filter };

/**
 * Parses a filter, or throws 400 invalidFilter with the parser's reason.
 *
 * @example
 * ```ts
 * const f = parseFilter('userName eq "bjensen@example.com"');
 * ```
 */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ScimError(400, `The filter is longer than ${MAX_FILTER_LENGTH} characters.`, 'invalidFilter');
  }
  try {
    return parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ScimError(400, `The filter ${JSON.stringify(text)} is not valid: ${reason}`, 'invalidFilter', {
      cause: error,
    });
  }
}

/** True when `resource` (a rendered SCIM resource) satisfies `filter`. */
export function matches(resource: Record<string, unknown>, filter: Filter, prefix = ''): boolean {
  switch (filter.op) {
    case 'and':
      return (filter as { filters: Filter[] }).filters.every((f) => matches(resource, f, prefix));
    case 'or':
      return (filter as { filters: Filter[] }).filters.some((f) => matches(resource, f, prefix));
    case 'not':
      return !matches(resource, (filter as { filter: Filter }).filter, prefix);
    case '[]': {
      const { attrPath, valFilter } = filter as { attrPath: string; valFilter: Filter };
      const path = attributePath(attrPath);
      const sub = `${prefix}${path.join('.')}.`;
      return values(resource, path).some((v) => isRecord(v) && matches(v, valFilter, sub));
    }
    case 'pr': {
      const path = attributePath((filter as { attrPath: string }).attrPath);
      return values(resource, path).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
    }
    default: {
      const { op, attrPath, compValue } = filter as { op: string; attrPath: string; compValue: unknown };
      const path = attributePath(attrPath);
      const caseExact = CASE_EXACT_PATHS.has(`${prefix}${path.join('.')}`.toLowerCase());
      const found = values(resource, path).map((v) => (isRecord(v) ? v.value : v));
      if (op === 'ne') return !found.some((v) => compare('eq', v, compValue, caseExact));
      return found.some((v) => compare(op, v, compValue, caseExact));
    }
  }
}

/**
 * The single indexed lookup a filter amounts to, if it is one: Okta's `userName eq "x"`, Entra ID's
 * `externalId eq "x"` and `displayName eq "x"`. The service answers these from an index instead of scanning.
 */
export function indexedLookup(filter: Filter): { attribute: string; value: string } | undefined {
  if (filter.op !== 'eq') return undefined;
  const { attrPath, compValue } = filter as { attrPath: string; compValue: unknown };
  if (typeof compValue !== 'string') return undefined;
  const path = attributePath(attrPath);
  if (path.length !== 1) return undefined;
  return { attribute: (path[0] as string).toLowerCase(), value: compValue };
}

/** `name.givenName` -> ['name', 'givenName']; a schema URN prefix names an extension object (or the core). */
export function attributePath(attrPath: string): string[] {
  const colon = attrPath.lastIndexOf(':');
  if (colon === -1) return attrPath.split('.');
  const urn = attrPath.slice(0, colon);
  const rest = attrPath.slice(colon + 1).split('.');
  const lower = urn.toLowerCase();
  if (lower === USER_SCHEMA.toLowerCase() || lower === GROUP_SCHEMA.toLowerCase()) return rest;
  return [urn, ...rest];
}

/** Every value at `path`, flattening multi-valued attributes on the way. */
function values(node: unknown, path: string[]): unknown[] {
  if (node === undefined || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item) => values(item, path));
  if (path.length === 0) return [node];
  if (!isRecord(node)) return [];
  const [head, ...rest] = path as [string, ...string[]];
  const lower = head.toLowerCase();
  const key = Object.keys(node).find((k) => k.toLowerCase() === lower);
  return key === undefined ? [] : values(node[key], rest);
}

function compare(op: string, actual: unknown, expected: unknown, caseExact: boolean): boolean {
  if (actual === undefined || actual === null) return false;
  if (typeof actual === 'boolean' || typeof expected === 'boolean') {
    if (op === 'eq') return actual === expected;
    throw new ScimError(400, `The operator "${op}" does not apply to a boolean.`, 'invalidFilter');
  }
  if (typeof actual === 'number' && typeof expected === 'number') return order(op, actual, expected);
  if (typeof actual !== 'string' || typeof expected !== 'string') return false;
  const a = caseExact ? actual : actual.toLowerCase();
  const e = caseExact ? expected : expected.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default:
      return order(op, a, e);
  }
}

function order<T extends string | number>(op: string, a: T, e: T): boolean {
  switch (op) {
    case 'eq':
      return a === e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      throw new ScimError(400, `Unknown filter operator "${op}".`, 'invalidFilter');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
