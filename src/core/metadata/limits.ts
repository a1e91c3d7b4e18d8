/**
 * How large an IdP metadata document may be. The defaults fit the metadata of one IdP (a few to a few dozen
 * kilobytes; small aggregates such as Keycloak's fit too). A federation aggregate (eduGAIN, InCommon: 10,000
 * entities, 15 MB and more) is accepted only by a connection whose `policy.metadataMaxBytes` an admin raised,
 * up to {@link MAX_METADATA_MAX_BYTES}; it then picks its IdP with `idpEntityId`.
 */
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
