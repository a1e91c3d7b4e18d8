/**
 * The HTTP-Redirect binding's message encoding (SAML bindings §3.4.4.1): DEFLATE (raw, RFC 1951, no zlib
 * header), then base64. Inflating is where a zip bomb would explode, so the output size is capped inside zlib
 * itself rather than checked after the fact.
 */
import { deflateRawSync, inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { SamlSpError } from '../errors.ts';
import { DEFAULT_MAX_XML_BYTES } from './parse.ts';

/**
 * Deflates (raw) and base64-encodes an XML message for the HTTP-Redirect binding. The result still needs URL
 * encoding as a query value.
 *
 * Cost (issue #16, `bench:http`). zlib's per-call set-up, not the compression, is what a Redirect deflate
 * costs: about 11 µs in a loop, and 40-90 µs in a live server, where zlib's state and code are cold between
 * logins. Node's synchronous zlib API closes its stream after each call, so it cannot be kept warm; level,
 * strategy (Z_HUFFMAN_ONLY, Z_FIXED) and fflate were measured and are no cheaper. But consecutive messages of
 * one connection differ only in the root's `ID` and `IssueInstant`, so {@link deflateWithFreshSpan} deflates
 * the rest once and reuses it; messages of a shape seen for the first time are deflated whole.
 *
 * @example
 * ```ts
 * const value = deflateAndEncode(authnRequestXml); // 'fZJBb9swDIX/iuF7...'
 * ```
 */
export function deflateAndEncode(xml: string): string {
  return (deflateWithFreshSpan(xml) ?? deflateWhole(Buffer.from(xml, 'utf8'))).toString('base64');
}

/**
 * One zlib call with its state sized to the input. zlib's defaults (32 KiB window, memLevel 8) allocate about
 * 256 KiB of state per call; a window as large as the input finds every match the default would (a match
 * cannot reach before the input's start), so the output is the same. Any inflater reads it.
 */
function deflateWhole(bytes: Buffer, options: { dictionary?: Buffer; syncFlush?: boolean } = {}): Buffer {
  const reach = bytes.length + (options.dictionary?.length ?? 0);
  // 2^9 is raw deflate's smallest window, 2^15 its largest.
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(reach + 1))));
  return deflateRawSync(bytes, {
    windowBits,
    memLevel: Math.max(1, windowBits - 7),
    ...(options.dictionary ? { dictionary: options.dictionary } : {}),
    ...(options.syncFlush ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {}),
  });
}

/** The deflated parts around the fresh span, per message shape (`span length, text before, text after`). */
const shapes = new Map<string, { before: Buffer; after: Buffer }>();
/** Shapes seen once: a shape is deflated in parts only when it comes back (a LogoutRequest names its user). */
const seenOnce = new Set<string>();
const MAX_SHAPES = 128;
const MAX_SEEN_ONCE = 1024;
/** A sync flush ends with an empty stored block: its header bits, then LEN 0x0000 and NLEN 0xFFFF. */
const EMPTY_STORED_LENGTHS = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * A raw DEFLATE stream of `xml` as three runs of blocks, all standard RFC 1951, or undefined when the
 * message has no reusable shape yet:
 *
 * 1. the text before the root's `ID` value, deflated once per shape and ended with a sync flush (byte-aligned,
 *    ending in an empty stored block);
 * 2. the fresh span (from the `ID` value to the end of the `IssueInstant` value) as that stored block's
 *    content: the flush's LEN/NLEN are replaced by the span's;
 * 3. the text after the span, deflated once per shape as the final block, with the text before the span plus
 *    as many zero bytes as the span has as its preset dictionary: its matches may reach back into the text
 *    before (which every inflater has in its window at the same distance) but never into the span, because
 *    the message holds no zero byte (checked) and a match is byte-for-byte.
 *
 * The stream inflates to the message for any split: where the span lies only decides whether a shape repeats.
 *
 * About 2 µs per message instead of a zlib call; the output is about 50 bytes longer than one whole deflate
 * (the 60-byte span is stored, not compressed): about 530 base64 characters instead of 460 for the usual
 * AuthnRequest.
 */
function deflateWithFreshSpan(xml: string): Buffer | undefined {
  const rootEnd = xml.indexOf('>');
  const id = xml.indexOf(' ID="');
  const instant = xml.indexOf(' IssueInstant="');
  if (id < 0 || instant < id || rootEnd < instant) return undefined;
  const start = id + ' ID="'.length;
  const end = xml.indexOf('"', instant + ' IssueInstant="'.length);
  if (end < 0 || end > rootEnd) return undefined;
  const span = Buffer.from(xml.slice(start, end), 'utf8');
  const before = xml.slice(0, start);
  const after = xml.slice(end);
  if (span.length > 0xffff || xml.length > 16_384 || xml.includes('\u0000')) return undefined;
  const key = `${span.length}\u0000${before}\u0000${after}`;
  let shape = shapes.get(key);
  if (!shape) {
    if (!seenOnce.has(key)) {
      if (seenOnce.size >= MAX_SEEN_ONCE) seenOnce.clear();
      seenOnce.add(key);
      return undefined;
    }
    seenOnce.delete(key);
    shape = deflateShape(Buffer.from(before, 'utf8'), Buffer.from(after, 'utf8'), span.length);
    if (!shape) return undefined;
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, shape);
  }
  const lengths = Buffer.allocUnsafe(4);
  lengths.writeUInt16LE(span.length, 0);
  lengths.writeUInt16LE(~span.length & 0xffff, 2);
  return Buffer.concat([shape.before, lengths, span, shape.after]);
}

function deflateShape(before: Buffer, after: Buffer, spanLength: number) {
  const head = deflateWhole(before, { syncFlush: true });
  if (!head.subarray(-4).equals(EMPTY_STORED_LENGTHS)) return undefined;
  const dictionary = Buffer.concat([before, Buffer.alloc(spanLength)]);
  return { before: head.subarray(0, -4), after: deflateWhole(after, { dictionary }) };
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
