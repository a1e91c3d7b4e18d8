/**
 * `returnTo` and RelayState come from the browser (or, for IdP-initiated sign-in, from the IdP). Honouring an
 * absolute URL would make the ACS an open redirect, so only a same-origin relative path survives; anything
 * else becomes '/'.
 */

/** The longest returnTo kept; longer values are not plausible app paths. */
const MAX_RETURN_TO_LENGTH = 2048;

/**
 * Returns `value` as a same-origin path ('/a/b?c#d') or '/' when it is missing, absolute, protocol-relative,
 * backslashed, or carries control characters.
 *
 * @example
 * safeReturnTo('/billing?tab=2') // '/billing?tab=2'
 * safeReturnTo('https://evil.example/') // '/'
 * safeReturnTo('//evil.example/') // '/'
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return '/';
  // Browsers treat '\' like '/', so '/\evil.example' is protocol-relative in practice.
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  const base = 'http://return-to.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return '/';
  }
  if (url.origin !== base) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
