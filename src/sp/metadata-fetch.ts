/**
 * Fetching IdP metadata from a URL: a timeout, a size cap, and no redirects (a redirect to another host is the
 * classic way to make a server fetch something it should not). Scheduled refresh builds on this.
 */
import { SamlSpError } from '../core/errors.ts';

export interface FetchMetadataOptions {
  timeoutMs?: number;
  maxBytes?: number;
  fetch?: typeof globalThis.fetch;
}

/** Downloads the metadata document at `url` as text. */
export async function fetchMetadata(url: string, options: FetchMetadataOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const doFetch = options.fetch ?? globalThis.fetch;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw metadataError(`"${url}" is not a URL.`, 'Give the absolute https:// URL of the IdP metadata.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw metadataError(`Metadata URLs must use https (or http for local IdPs), not ${parsed.protocol}`, 'Use the https URL the IdP publishes.');
  }
  let response: Response;
  try {
    response = await doFetch(parsed, {
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
    });
  } catch (cause) {
    throw metadataError(`Could not fetch ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, 'Check that the URL is reachable from this server.', cause);
  }
  if (response.status >= 300 && response.status < 400) {
    throw metadataError(`${url} answered with a redirect to ${response.headers.get('location') ?? '(nowhere)'}.`, 'Redirects are not followed; configure the final metadata URL.');
  }
  if (!response.ok) {
    throw metadataError(`${url} answered HTTP ${response.status}.`, 'Check the metadata URL (Entra: use the app-specific federation metadata URL).');
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(url, maxBytes);
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
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
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(url: string, maxBytes: number): SamlSpError {
  return new SamlSpError('SAML_MESSAGE_TOO_LARGE', `The metadata at ${url} is larger than ${maxBytes} bytes.`, {
    hint: 'A single IdP descriptor is a few kilobytes. For federation aggregates, download the file and pick the IdP with idpEntityId.',
    status: 413,
  });
}

function metadataError(message: string, hint: string, cause?: unknown): SamlSpError {
  return new SamlSpError('SAML_METADATA_INVALID', message, { hint, cause });
}
