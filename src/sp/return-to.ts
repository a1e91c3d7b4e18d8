/**
 * `returnTo` and RelayState come from the browser (or, for IdP-initiated sign-in, from the IdP). Honouring an
 * absolute URL would make the ACS, /logout and the SLO endpoint open redirects, so only a same-origin path
 * survives; anything else becomes '/'. This is the one guard of every redirect sink (issue #9, item 2): the
 * values are checked when they arrive and again where they leave (src/http/redirect.ts), so that a value
 * stored by an older version, or handed over by an integrator, is held to the same rule.
 *
 * Checking a string and then letting a URL parser normalise it is how `/.//evil.example`, `/a/..//evil.example`
 * and `/%2e//evil.example` became `//evil.example` after the check. So the raw value is refused outright when
 * it carries anything a normaliser or a browser rewrites (dot segments, encoded dots, slashes, backslashes or
 * percent signs in the path, control or invisible characters, backslashes anywhere), then it is normalised,
 * and what the normaliser produced is checked again: what leaves is exactly what was checked.
 */

/** The longest returnTo kept; longer values are not plausible app paths. */
const MAX_RETURN_TO_LENGTH = 2048;

/** Where a value is resolved to find out where a browser would go. Any origin that cannot be ours will do. */
const BASE = 'http://return-to.invalid';

/**
 * Characters refused anywhere: C0 and C1 controls (browsers drop tab and newline inside URLs, so `/\t/evil`
 * becomes `//evil`), the backslash (browsers read it as '/'), and Unicode separators and format characters
 * other than the plain space (invisible, bidi overrides, look-alike spaces): nothing an app path needs. A plain
 * space is kept: a query such as `?q=a b` is ordinary, and the normaliser encodes it.
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\\]|[^\P{Zs} ]/u;

/**
 * Percent-encodings refused in the path: dots (`%2e`: the URL parser treats `%2e%2e` as `..`), slashes and
 * backslashes (`%2f`, `%5c`: a server or proxy that decodes them turns the path into `//host`), and the
 * percent sign itself (`%25`: the double-encoded forms of all of these).
 */
const ENCODED_SEPARATOR = /%(?:2e|2f|5c|25)/i;

/** Encoded control characters, refused anywhere (`%0d%0a` header splitting, `%09` dropped by decoders). */
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;

/**
 * Answers for recent values. The check is a pure function of the value, and one sign-in checks the same
 * returnTo three times (login, ACS, redirect): the regular expressions and the URL parse were 2.4% of the
 * server's CPU in `bench:http` (issue #16). Bounded: cleared when full, so a flood of distinct values costs
 * what it cost before. Keys are copies: a value cut from a request body can be a V8 slice that keeps the whole
 * body alive.
 */
const recentAnswers = new Map<string, string>();
const MAX_RECENT_ANSWERS = 512;
/** Stands for a refused value in {@link recentAnswers} (no path is empty). */
const REFUSED = '';

/**
 * Returns `value` as a same-origin path ('/a/b?c#d', normalised) or '/' when it is missing, too long,
 * absolute, protocol-relative, or carries anything that a normaliser or browser could rewrite into one.
 *
 * @example
 * safeReturnTo('/billing?tab=2') // '/billing?tab=2'
 * safeReturnTo('https://evil.example/') // '/'
 * safeReturnTo('//evil.example/') // '/'
 * safeReturnTo('/.//evil.example') // '/' (a dot segment)
 * safeReturnTo('/%2e//evil.example') // '/' (an encoded dot)
 */
export function safeReturnTo(value: unknown): string {
  return checkReturnTo(value) ?? '/';
}

/**
 * The same check as {@link safeReturnTo}, returning undefined instead of '/' for a refused value, for callers
 * that want to tell "no returnTo" from "a returnTo that was refused" (a log line, a test).
 *
 * @example
 * checkReturnTo('/a/..//evil.example') // undefined
 */
export function checkReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH)
    return undefined;
  const known = recentAnswers.get(value);
  if (known !== undefined) return known === REFUSED ? undefined : known;
  const answer = check(value);
  if (recentAnswers.size >= MAX_RECENT_ANSWERS) recentAnswers.clear();
  // A lossless copy (UTF-16 code units as they are, lone surrogates included) that owns its characters.
  recentAnswers.set(Buffer.from(value, 'utf16le').toString('utf16le'), answer ?? REFUSED);
  return answer;
}

function check(value: string): string | undefined {
  // 1. Refuse what normalisers and browsers rewrite, on the raw value.
  if (UNSAFE_CHARACTER.test(value) || ENCODED_CONTROL.test(value)) return undefined;
  if (!isSingleSlashPath(value)) return undefined;
  const path = value.slice(0, firstIndexOf(value, '?#'));
  if (ENCODED_SEPARATOR.test(path)) return undefined;
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  // 2. Normalise as a browser would resolve it against our origin.
  const url = URL.parse(value, BASE);
  if (!url || url.origin !== BASE) return undefined;
  const normalised = `${url.pathname}${url.search}${url.hash}`;
  // 3. Check the normalised value again: it is what goes into Location.
  if (!isSingleSlashPath(normalised) || UNSAFE_CHARACTER.test(normalised)) return undefined;
  return normalised;
}

/** Starts with exactly one '/': a path on this origin, not `//host` (protocol-relative). */
function isSingleSlashPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//');
}

function firstIndexOf(value: string, characters: string): number {
  for (let i = 0; i < value.length; i++) if (characters.includes(value[i]!)) return i;
  return value.length;
}
