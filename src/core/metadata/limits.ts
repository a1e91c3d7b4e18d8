/**
 * How large an IdP metadata document may be. The defaults fit the metadata of one IdP (a few to a few dozen
 * kilobytes; small aggregates such as Keycloak's fit too). A federation aggregate (eduGAIN, InCommon: 10,000
 * entities, 15 MB and more) is accepted only by a connection whose `policy.metadataMaxBytes` an admin raised,
 * up to {@link MAX_METADATA_MAX_BYTES}; it then picks its IdP with `idpEntityId`.
 */
import { getHeapStatistics } from 'node:v8';
import { SamlSpError } from '../errors.ts';

/** The document limit of a connection without `policy.metadataMaxBytes`: 1 MiB. */
export const DEFAULT_MAX_METADATA_BYTES = 1024 * 1024;

/**
 * The download cap of a connection without `policy.metadataMaxBytes`: 5 MiB (above the document limit, so
 * that a slightly oversized document is refused by the parser with its size, not cut off mid-download).
 */
export const DEFAULT_METADATA_DOWNLOAD_BYTES = 5 * 1024 * 1024;

/** The lowest `metadataMaxBytes` accepted: 16 KiB (an IdP with a few certificates needs about 10). */
export const MIN_METADATA_MAX_BYTES = 16 * 1024;

/**
 * The highest `metadataMaxBytes` accepted: 64 MiB. The largest federation feeds (eduGAIN's full aggregate)
 * are about 60 MB; the document is held in memory while it is checked.
 */
export const MAX_METADATA_MAX_BYTES = 64 * 1024 * 1024;

/** Where an admin raises the limit, as the admin API, the CLI and the page name it. */
export const METADATA_LIMIT_SETTING = 'policy.metadataMaxBytes';

/**
 * The document limit and download cap of a connection: its `metadataMaxBytes` for both, else the defaults.
 *
 * @example
 * ```ts
 * metadataLimits({ metadataMaxBytes: 32 * 1024 * 1024 }); // { maxBytes: 33554432, downloadBytes: 33554432 }
 * ```
 */
export function metadataLimits(policy: { metadataMaxBytes?: number | undefined } | undefined): {
  maxBytes: number;
  downloadBytes: number;
} {
  const set = policy?.metadataMaxBytes;
  return set === undefined
    ? { maxBytes: DEFAULT_MAX_METADATA_BYTES, downloadBytes: DEFAULT_METADATA_DOWNLOAD_BYTES }
    : { maxBytes: set, downloadBytes: set };
}

/**
 * SAML_MESSAGE_TOO_LARGE for metadata (413), with a hint that names the setting to raise.
 *
 * @example
 * ```ts
 * throw metadataTooLarge('The IdP metadata is 15030612 bytes', 1048576);
 * ```
 */
export function metadataTooLarge(what: string, maxBytes: number, size?: number): SamlSpError {
  return new SamlSpError('SAML_MESSAGE_TOO_LARGE', `${what}; the limit is ${maxBytes} bytes.`, {
    hint:
      'The metadata of one IdP is a few kilobytes. For a federation aggregate, raise this connection’s ' +
      `${METADATA_LIMIT_SETTING} (up to ${MAX_METADATA_MAX_BYTES} bytes, 64 MiB) and choose the IdP with idpEntityId; ` +
      'otherwise ask the IdP for its own metadata.',
    details: { ...(size === undefined ? {} : { size }), maxBytes, setting: METADATA_LIMIT_SETTING },
    status: 413,
  });
}

/**
 * What a whole-document parse of metadata takes of the heap, per tag (`<`), per `=` (attributes) and per byte:
 * the DOM's nodes (xmldom: about 800 bytes an empty element, 1,250 with two attributes, measured) and the
 * text. Counted rather than taken per byte because a hostile document of empty elements costs about 200 bytes
 * of heap per byte, where a real aggregate (long certificates) costs 13-14: the generated signed 15 MB
 * aggregate (test/fixtures/federation-aggregate.ts) verified with 224 MB of old space, died once and passed
 * once with 192, died with 160. The estimate for it is 311 MB, about 1.5 times what it took: the young
 * generation subtracted below (a quarter of a small heap) can be less than what V8 really keeps for it, and
 * a refusal names its workaround where running out of heap kills the server.
 */
const HEAP_PER_TAG = 1_200;
const HEAP_PER_EQUALS = 400;
const HEAP_PER_BYTE = 2;
/**
 * The young generation's share of V8's heap limit, which a DOM built to last never lives in: up to 192 MiB
 * (three 64 MiB semi-spaces, Node 24 on a large machine), at most a quarter of the limit.
 */
const YOUNG_GENERATION_MAX = 192 * 1024 * 1024;

/** What {@link assertHeapForWholeParse} reads of the heap (the fields of node:v8's getHeapStatistics). */
export interface HeapFacts {
  heap_size_limit: number;
  used_heap_size: number;
}

/**
 * The heap a whole-document parse of `xml` is expected to take, in bytes (see HEAP_PER_TAG).
 *
 * @example
 * ```ts
 * wholeParseHeapEstimate('<a/>'.repeat(1000)); // 1208000
 * ```
 */
export function wholeParseHeapEstimate(xml: string): number {
  return count(xml, '<') * HEAP_PER_TAG + count(xml, '=') * HEAP_PER_EQUALS + xml.length * HEAP_PER_BYTE;
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/**
 * Refuses, before it starts, a whole-document parse that this process's heap cannot hold. Running out of heap
 * is not an error Node recovers from: the process dies, and a scheduled refresh of the same metadata would
 * kill it again after every restart. Signed metadata is parsed whole to verify its signature, before anything
 * in it is trusted, so its size and shape are whatever the URL serves. Refused, the import fails like a
 * too-large document (SAML_MESSAGE_TOO_LARGE, with the numbers) and a refresh keeps the last good copy.
 *
 * @example
 * ```ts
 * assertHeapForWholeParse(xml, 'The signed IdP metadata');
 * ```
 */
export function assertHeapForWholeParse(
  xml: string,
  what: string,
  heap: HeapFacts = getHeapStatistics(),
): void {
  const needed = wholeParseHeapEstimate(xml);
  const young = Math.min(YOUNG_GENERATION_MAX, heap.heap_size_limit / 4);
  const available = Math.max(0, heap.heap_size_limit - young - heap.used_heap_size);
  if (needed <= available) return;
  const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024))} MB`;
  throw new SamlSpError(
    'SAML_MESSAGE_TOO_LARGE',
    `${what} (${xml.length} characters) is checked as a whole document, which needs about ${mb(needed)} of ` +
      `memory; this server has about ${mb(available)} free of its ${mb(heap.heap_size_limit)} heap.`,
    {
      hint:
        'Signed metadata is parsed whole to verify its signature. Import the IdP’s own metadata (or the ' +
        'federation’s per-entity URL) instead of the whole feed, or give the server a larger heap ' +
        '(NODE_OPTIONS=--max-old-space-size=<MB>) and the memory for it.',
      details: { heapNeeded: needed, heapAvailable: available, heapLimit: heap.heap_size_limit },
      status: 413,
    },
  );
}
