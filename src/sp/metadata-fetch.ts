/**
 * Fetching IdP metadata from a URL: a timeout, a size cap, and redirects followed only within the same
 * origin (a redirect to another host is the classic way to make a server fetch something it should not).
 * The scheduled refresh (metadata-refresh.ts) builds on this.
 */
import { SamlSpError } from '../core/errors.ts';
import { DEFAULT_METADATA_DOWNLOAD_BYTES, metadataTooLarge } from '../core/metadata/limits.ts';

export interface FetchMetadataOptions {
  /** Whole-request timeout. Default 10 s. */
  timeoutMs?: number;
  /**
   * Largest accepted body. Default 5 MiB (the parser's own limit is lower; this bounds the download). A
   * connection passes its `policy.metadataMaxBytes` when set (metadataLimits in src/core/metadata/limits.ts).
   */
  maxBytes?: number;
  /** Same-origin redirects followed. Default 3. */
  maxRedirects?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * Downloads the metadata document at `url` as text. Failures are SAML_METADATA_INVALID (unreachable, HTTP
 * error, redirect elsewhere) or SAML_MESSAGE_TOO_LARGE, each with a hint.
 *
 * @example
 * ```ts
 * const xml = await fetchMetadata('https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml?appid=<app>');
 * ```
 */
export async function fetchMetadata(url: string, options: FetchMetadataOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_METADATA_DOWNLOAD_BYTES;
  const doFetch = options.fetch ?? globalThis.fetch;
  const parsed = URL.parse(url);
  if (!parsed) {
    throw metadataError(`"${url}" is not a URL.`, 'Give the absolute https:// URL of the IdP metadata.');
  }
  let target: URL = parsed;
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw metadataError(
      `Metadata URLs must use https (or http for local IdPs), not ${target.protocol}`,
      'Use the https URL the IdP publishes.',
    );
  }
  const origin = target.origin;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  let response: Response;
  for (let hop = 0; ; hop++) {
    try {
      response = await doFetch(target, {
        redirect: 'manual',
        signal,
        headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      });
    } catch (cause) {
      const reason = signal.aborted ? 'timed out' : cause instanceof Error ? cause.message : String(cause);
      throw metadataError(
        `Could not fetch ${url}: ${reason}.`,
        'Check that the URL is reachable from this server (DNS, firewall, proxy) and that the IdP is up.',
        cause,
      );
    }
    if (response.status < 300 || response.status >= 400) break;
    const location = response.headers.get('location');
    const next: URL | null = location ? URL.parse(location, target) : null;
    await response.body?.cancel();
    if (!next || next.origin !== origin) {
      throw metadataError(
        `${url} redirects to ${location ?? '(nowhere)'}, outside ${origin}.`,
        'Redirects to another host are not followed; configure the final metadata URL.',
      );
    }
    if (hop >= (options.maxRedirects ?? 3)) {
      throw metadataError(`${url} redirects too often.`, 'Configure the final metadata URL.');
    }
    target = next;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw metadataError(
      `${url} answered HTTP ${response.status}.`,
      'Check the metadata URL (Entra: the app-specific federation metadata URL; ADFS: /FederationMetadata/2007-06/FederationMetadata.xml).',
    );
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(url, maxBytes);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof SamlSpError) throw cause;
    throw metadataError(
      `Reading ${url} failed: ${signal.aborted ? 'timed out' : String(cause)}.`,
      'The IdP closed the connection or answered too slowly.',
      cause,
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(url: string, maxBytes: number): SamlSpError {
  return metadataTooLarge(`The metadata at ${url} is larger than the download cap`, maxBytes);
}

function metadataError(message: string, hint: string, cause?: unknown): SamlSpError {
  return new SamlSpError('SAML_METADATA_INVALID', message, { hint, cause });
}
