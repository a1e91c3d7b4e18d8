/**
 * The HTTP-Redirect binding's message encoding (SAML bindings §3.4.4.1): DEFLATE (raw, RFC 1951, no zlib
 * header), then base64. Inflating is where a zip bomb would explode, so the output size is capped inside zlib
 * itself rather than checked after the fact.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SamlSpError } from '../errors.ts';
import { DEFAULT_MAX_XML_BYTES } from './parse.ts';

/**
 * Deflates (raw) and base64-encodes an XML message for the HTTP-Redirect binding. The result still needs URL
 * encoding as a query value.
 *
 * The zlib state is sized to the message. zlib's defaults (32 KiB window, memLevel 8) allocate about 256 KiB
 * of state per call, and that allocation, not the compression, was the cost: a deflate per login showed as
 * 4.5% of the server's CPU in `bench:http` (issue #16). A window as large as the message finds every match the
 * default would (an LZ77 match cannot reach further back than the message's start), so the output is the same
 * size for the usual sub-KiB request; the state is a few KiB. Any inflater reads it (the window only bounds
 * match distances).
 *
 * Alternatives measured on a 593-byte AuthnRequest (issue #16, one core): this 11 µs; level 1 10.7 µs (+2
 * bytes); Z_HUFFMAN_ONLY 12 µs (+118 bytes); Z_FIXED 12 µs (+63 bytes); zlib defaults 12-15 µs; fflate (pure
 * JavaScript) 46 µs. What remains is zlib's per-call set-up, and it grows to 40-90 µs in a live server whose
 * allocator hands zlib cold memory; a reused stream would avoid it, but Node's synchronous zlib API closes its
 * handle after every call. Stored blocks (no zlib, ~1 µs) would make the SAMLRequest about 75% longer, closer
 * to the 2,048-character query limit some IIS-hosted IdPs keep, so they are not used.
 *
 * @example
 * ```ts
 * const value = deflateAndEncode(authnRequestXml); // 'fZJBb9swDIX/iuF7...'
 * ```
 */
export function deflateAndEncode(xml: string): string {
  const bytes = Buffer.from(xml, 'utf8');
  // 2^9 is raw deflate's smallest window, 2^15 its largest.
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(bytes.length + 1))));
  return deflateRawSync(bytes, { windowBits, memLevel: Math.max(1, windowBits - 7) }).toString('base64');
}

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Whether `compact` (white space already removed) holds only base64 characters with at most two `=` at the
 * end. The empty string passes: callers that need content check its length. Node's own decoder skips any
 * other character silently, so a value must pass this before `Buffer.from(value, 'base64')` decides anything.
 *
 * @example
 * ```ts
 * isBase64Alphabet('PHNhbWxwOlJlc3BvbnNlLz4='); // true
 * isBase64Alphabet('AB&amp;CD'); // false
 * ```
 */
export function isBase64Alphabet(compact: string): boolean {
  return BASE64_ALPHABET.test(compact);
}

/** Options of {@link decodeAndInflate}. */
export interface DecodeAndInflateOptions {
  /** Limit on the inflated XML, in bytes. Default {@link DEFAULT_MAX_XML_BYTES}. */
  maxBytes?: number;
  /** Names the message in error messages ("SAMLRequest", "LogoutResponse"). */
  what?: string;
}

/**
 * Reverses {@link deflateAndEncode}: base64-decodes and inflates an HTTP-Redirect message into XML text.
 * The value must already be URL-decoded (as query parsers return it).
 *
 * Throws SAML_MALFORMED for bad base64 or deflate data and SAML_MESSAGE_TOO_LARGE when the inflated text
 * would exceed `maxBytes` (a deflate bomb expands about 1000:1).
 *
 * @example
 * ```ts
 * const xml = decodeAndInflate(String(req.query.SAMLRequest));
 * ```
 */
export function decodeAndInflate(value: string, options: DecodeAndInflateOptions = {}): string {
  const what = options.what ?? 'SAML message';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const compact = value.replace(/\s+/g, '');
  // Deflate never grows the data by more than a few bytes per 16 KiB block, so anything longer is not ours.
  if (compact.length > Math.ceil(((maxBytes + 1024) * 4) / 3)) {
    throw tooLarge(what, maxBytes);
  }
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SamlSpError('SAML_MALFORMED', `The ${what} is not valid base64.`, {
      hint: 'The HTTP-Redirect binding carries deflated, base64-encoded XML in the query string. Check that the URL was not truncated or double-encoded.',
    });
  }
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(compact, 'base64'), { maxOutputLength: maxBytes });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(what, maxBytes, cause);
    throw new SamlSpError('SAML_MALFORMED', `The ${what} is not DEFLATE-compressed data.`, {
      hint: 'The HTTP-Redirect binding requires raw DEFLATE (RFC 1951). A plain-base64 message usually means the sender used the HTTP-POST encoding on a redirect URL.',
      cause,
    });
  }
  return inflated.toString('utf8');
}

function tooLarge(what: string, maxBytes: number, cause?: unknown): SamlSpError {
  return new SamlSpError('SAML_MESSAGE_TOO_LARGE', `The ${what} inflates to more than ${maxBytes} bytes.`, {
    hint: 'A genuine redirect-binding message is a few kilobytes. This looks like a compression bomb; if it is not, raise the limit.',
    details: { maxBytes },
    status: 413,
    cause,
  });
}
