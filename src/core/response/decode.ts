/**
 * Step 1: turn the SAMLResponse form value into XML text, within the size limit.
 *
 * The HTTP-POST binding carries base64 XML. `saml-sp inspect` and tests may pass raw XML; anything starting
 * with '<' is taken as such. Deflated input is refused: the Web SSO profile forbids the Redirect binding for
 * responses, so a deflated SAMLResponse is a misconfigured IdP.
 */
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { SamlSpError } from '../errors.ts';
import { assertSafeXmlText, decodeBase64Xml } from '../xml/parse.ts';

/**
 * Decodes and size-checks a SAMLResponse; returns the XML text without a byte-order mark.
 *
 * @example
 * ```ts
 * const xml = decodeResponse(req.body.SAMLResponse, 256 * 1024);
 * ```
 */
export function decodeResponse(samlResponse: string, maxBytes: number): string {
  if (typeof samlResponse !== 'string' || samlResponse.trim() === '') {
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'The SAMLResponse value is empty.', {
      hint: 'The IdP (or a proxy) posted no SAMLResponse field. Check that the ACS URL in the IdP is this endpoint.',
    });
  }
  // Checked before decoding so that a huge body costs no work: base64 is 4/3 of the XML, plus line breaks.
  if (samlResponse.length > maxBytes * 1.5 + 1024) tooLarge(samlResponse.length, maxBytes);

  const trimmed = samlResponse.replace(/^[\s\uFEFF]+/, '');
  const xml = trimmed.startsWith('<') ? trimmed : decodeBase64Xml(samlResponse, 'SAMLResponse');
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (!text.trimStart().startsWith('<')) {
    throw new SamlSpError('SAML_MALFORMED', 'The SAMLResponse does not decode to XML.', {
      hint: looksDeflated(samlResponse, maxBytes)
        ? 'The value looks DEFLATE-compressed, as in the HTTP-Redirect binding. Responses must use HTTP-POST: set the ACS binding to HTTP-POST in the IdP.'
        : 'The SAMLResponse field must hold base64-encoded XML (HTTP-POST binding).',
    });
  }
  return assertSafeXmlText(text, { maxBytes, what: 'SAML response' });
}

function tooLarge(size: number, maxBytes: number): never {
  throw new SamlSpError(
    'SAML_MESSAGE_TOO_LARGE',
    `The SAMLResponse is ${size} characters; the limit is ${maxBytes} bytes of XML.`,
    {
      hint: 'A genuine SAML response is a few kilobytes. If an IdP really sends more (many groups), raise the limit for this connection.',
      details: { size, maxBytes },
      status: 413,
    },
  );
}

function looksDeflated(value: string, maxBytes: number): boolean {
  try {
    // Only on the error path, and bounded: zlib stops at maxOutputLength, so this cannot be a zip bomb.
    const bytes = Buffer.from(value.replace(/\s+/g, ''), 'base64');
    const out = inflateRawSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxBytes });
    return out.toString('utf8').trimStart().startsWith('<');
  } catch {
    return false;
  }
}
