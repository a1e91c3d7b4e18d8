/**
 * Small helpers for writing SAML XML as text: escaping, message IDs and timestamps. The SP builds its few
 * documents with template strings, so every interpolated value must pass through {@link escapeXml}.
 */
import { pooledRandomString } from '../crypto/random-pool.ts';
import { InvalidOptionError } from '../errors.ts';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Escapes text for use in XML element content and in double- or single-quoted attribute values. Control
 * characters that XML 1.0 forbids are refused rather than dropped, so a value is never silently changed.
 *
 * @example
 * ```ts
 * `<saml:Issuer>${escapeXml(entityId)}</saml:Issuer>`
 * ```
 */
export function escapeXml(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML 1.0 forbids.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(value)) {
    throw new InvalidOptionError('The value contains a control character that XML cannot carry.');
  }
  // Tab, CR and LF in attributes would be normalised to spaces by the reader; keep them as character references.
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A fresh SAML message ID: '_' followed by 20 random bytes in hex (160 bits). The leading underscore keeps it
 * an NCName and satisfies Entra ID, which rejects IDs that start with a digit.
 *
 * @example
 * ```ts
 * newSamlId(); // '_3f9c…'
 * ```
 */
export function newSamlId(): string {
  return `_${pooledRandomString(20, 'hex')}`;
}

/**
 * An xs:dateTime in UTC without fractional seconds (`2026-01-02T03:04:05Z`): some IdPs (older ADFS, Shibboleth
 * configurations) parse milliseconds badly, and SAML needs no sub-second precision.
 *
 * @example
 * ```ts
 * samlInstant(new Date(0)); // '1970-01-01T00:00:00Z'
 * ```
 */
export function samlInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
