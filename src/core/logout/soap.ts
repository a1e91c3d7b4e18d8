/**
 * The SAML SOAP binding (bindings §3.2) as back-channel logout uses it: a SOAP 1.1 envelope whose Body holds
 * exactly one SAML protocol message, POSTed server to server as text/xml. No cookie travels with it, so the
 * SP finds sessions through its session registry, and the answer rides back on the same HTTP exchange.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, type ParseXmlOptions, parseXml } from '../xml/parse.ts';

/** The Content-Type of a SOAP 1.1 message. */
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/**
 * Wraps one SAML message (XML text, any XML declaration dropped) in a SOAP 1.1 envelope.
 *
 * @example
 * ```ts
 * res.type(SOAP_CONTENT_TYPE).send(wrapInSoapEnvelope(signedLogoutResponseXml));
 * ```
 */
export function wrapInSoapEnvelope(xml: string): string {
  const body = xml.replace(/^\uFEFF?\s*<\?xml[^>]*\?>\s*/, '');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/**
 * Reads a SOAP 1.1 envelope and returns the single SAML element of its Body (still inside the parsed
 * document, so a signature over it verifies in its original namespace context). The text goes through the
 * same safe parser as every SAML message (size limit, no DTD).
 *
 * Throws SAML_MALFORMED for bad XML and SAML_STRUCTURE_INVALID for anything that is not an envelope with one
 * Body child, or that carries a header the SP would have to understand.
 *
 * @example
 * ```ts
 * const message = unwrapSoapEnvelope(req.body); // <samlp:LogoutRequest …>
 * ```
 */
export function unwrapSoapEnvelope(text: string, options: ParseXmlOptions = {}): Element {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new SamlSpError('SAML_MESSAGE_MISSING', 'The SOAP request has an empty body.', {
      hint: 'The SOAP binding POSTs a SOAP envelope as text/xml. Check the back-channel logout URL and binding at the IdP.',
    });
  }
  const doc = parseXml(text, { what: 'SOAP message', ...options });
  const envelope = doc.documentElement!;
  if (envelope.localName !== 'Envelope' || envelope.namespaceURI !== NS.soap) {
    throw invalid(`The SOAP message root is <${envelope.tagName}>, not a SOAP 1.1 Envelope.`);
  }
  for (const header of childElements(envelope, NS.soap, 'Header')) {
    for (let n = header.firstChild; n; n = n.nextSibling) {
      if (n.nodeType !== 1) continue;
      const mustUnderstand = (n as Element).getAttributeNS(NS.soap, 'mustUnderstand');
      if (mustUnderstand === '1' || mustUnderstand === 'true') {
        throw invalid(
          `The SOAP header <${(n as Element).tagName}> must be understood, and the SP does not know it.`,
        );
      }
    }
  }
  const bodies = childElements(envelope, NS.soap, 'Body');
  if (bodies.length !== 1)
    throw invalid(`The SOAP envelope has ${bodies.length} Body elements; one is required.`);
  const children: Element[] = [];
  for (let n = bodies[0]!.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) children.push(n as Element);
  if (children.length !== 1) {
    throw invalid(
      `The SOAP Body holds ${children.length} elements; the SAML SOAP binding carries exactly one.`,
    );
  }
  return children[0]!;
}

function invalid(message: string): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, {
    hint: 'The SAML SOAP binding (used for back-channel logout) sends one SAML message in a SOAP 1.1 envelope body.',
  });
}
