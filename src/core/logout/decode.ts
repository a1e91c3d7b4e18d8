/**
 * Step one for every logout message that reaches the SP's SLO endpoint: take it off its binding and parse it.
 *
 * - HTTP-Redirect: deflated base64 in the query. The raw query string is kept, because its signature covers
 *   the parameters exactly as they were encoded (bindings §3.4.4.1).
 * - HTTP-POST: plain base64 in a form field; the signature is inside the XML.
 * - SOAP: a SOAP 1.1 envelope (back-channel logout); the signature is inside the XML.
 *
 * Nothing read here is trusted yet: validate-logout.ts verifies the signature and then reads only signed data.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { decodeAndInflate } from '../xml/encoding.ts';
import { NS } from '../xml/namespaces.ts';
import { assertSafeXmlText, DEFAULT_MAX_XML_BYTES, decodeBase64Xml, parseXml } from '../xml/parse.ts';
import { decodedSamlParam, rawSamlParams } from '../xml/redirect-query.ts';
import { checkSchemaShape } from '../xml/schema-shape.ts';
import { unwrapSoapEnvelope } from './soap.ts';

/** A logout message as the HTTP adapter received it. */
export type IncomingLogoutMessage =
  /** The query string exactly as received (req.originalUrl after '?'), never re-encoded parameters. */
  | { binding: 'redirect'; rawQuery: string }
  /** The urlencoded form fields. */
  | { binding: 'post'; fields: { SAMLRequest?: unknown; SAMLResponse?: unknown; RelayState?: unknown } }
  /** The text/xml body of a SOAP request. */
  | { binding: 'soap'; body: string };

export type LogoutMessageKind = 'LogoutRequest' | 'LogoutResponse';

/** A logout message off its binding, parsed but not yet verified. */
export interface DecodedLogoutMessage {
  binding: IncomingLogoutMessage['binding'];
  kind: LogoutMessageKind;
  /** The samlp:LogoutRequest or samlp:LogoutResponse element. */
  root: Element;
  /** Redirect binding: the raw query string, for the signature check. */
  rawQuery?: string;
  /** Redirect binding: the message parameter as decoded here (compared with what the signature covers). */
  redirectValue?: string;
  /** RelayState as sent (POST: never signed; redirect: replaced by the signed value after verification). */
  relayState?: string;
}

/** The longest RelayState accepted; bindings §3.4.3 says 80 bytes, real IdPs send a little more. */
const MAX_RELAY_STATE = 2048;

/**
 * Takes a logout message off its binding and parses it safely. Throws SAML_MESSAGE_MISSING, SAML_MALFORMED,
 * SAML_MESSAGE_TOO_LARGE or SAML_STRUCTURE_INVALID (for another root element than the parameter announced).
 *
 * @example
 * ```ts
 * const decoded = decodeLogoutMessage({ binding: 'redirect', rawQuery: req.originalUrl.split('?')[1] ?? '' });
 * decoded.kind; // 'LogoutRequest'
 * ```
 */
export function decodeLogoutMessage(
  message: IncomingLogoutMessage,
  options: { maxBytes?: number; maxDepth?: number } = {},
): DecodedLogoutMessage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const maxDepth = options.maxDepth;
  switch (message.binding) {
    case 'redirect': {
      const params = rawSamlParams(message.rawQuery);
      const key = params.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
      const value = decodedSamlParam(params, key);
      if (params.has('SAMLRequest') && params.has('SAMLResponse')) {
        throw structure('The query carries both SAMLRequest and SAMLResponse.');
      }
      if (value === undefined || value === '') throw missing('query string');
      const xml = decodeAndInflate(value, { maxBytes, what: key });
      const root = parseXml(xml, { maxBytes, maxDepth, what: kindOf(key) }).documentElement!;
      return {
        binding: 'redirect',
        kind: expectShape(root, kindOf(key)),
        root,
        rawQuery: message.rawQuery,
        redirectValue: value,
        ...relay(decodedSamlParam(params, 'RelayState')),
      };
    }
    case 'post': {
      const { SAMLRequest, SAMLResponse, RelayState } = message.fields;
      if (typeof SAMLRequest === 'string' && typeof SAMLResponse === 'string') {
        throw structure('The form carries both SAMLRequest and SAMLResponse.');
      }
      const key = typeof SAMLRequest === 'string' ? 'SAMLRequest' : 'SAMLResponse';
      const value = key === 'SAMLRequest' ? SAMLRequest : SAMLResponse;
      if (typeof value !== 'string' || value.trim() === '') throw missing('form');
      if (value.length > maxBytes * 1.5 + 1024) {
        throw new SamlSpError(
          'SAML_MESSAGE_TOO_LARGE',
          `The ${key} is larger than the limit of ${maxBytes} bytes.`,
          {
            hint: 'A genuine logout message is a few kilobytes.',
            details: { size: value.length, maxBytes },
            status: 413,
          },
        );
      }
      const xml = assertSafeXmlText(decodeBase64Xml(value, key), { maxBytes, what: key });
      const root = parseXml(xml, { maxBytes, maxDepth, what: kindOf(key) }).documentElement!;
      return {
        binding: 'post',
        kind: expectShape(root, kindOf(key)),
        root,
        ...relay(typeof RelayState === 'string' ? RelayState : undefined),
      };
    }
    case 'soap': {
      const root = unwrapSoapEnvelope(message.body, { maxBytes, maxDepth });
      if (
        root.namespaceURI !== NS.protocol ||
        (root.localName !== 'LogoutRequest' && root.localName !== 'LogoutResponse')
      ) {
        throw structure(`The SOAP body holds <${root.tagName}>, not a LogoutRequest or LogoutResponse.`);
      }
      return { binding: 'soap', kind: expectShape(root, root.localName), root };
    }
  }
}

function kindOf(key: 'SAMLRequest' | 'SAMLResponse'): LogoutMessageKind {
  return key === 'SAMLRequest' ? 'LogoutRequest' : 'LogoutResponse';
}

function expectRoot(root: Element, kind: LogoutMessageKind): LogoutMessageKind {
  if (root.localName !== kind || root.namespaceURI !== NS.protocol) {
    throw structure(`Expected a samlp:${kind} at the SLO endpoint, got <${root.tagName}>.`, {
      hint:
        root.localName === 'AuthnRequest' || root.localName === 'Response'
          ? 'A sign-in message reached the Single Logout URL: check the ACS and SLO URLs configured at the IdP.'
          : 'The SLO endpoint accepts LogoutRequest (as SAMLRequest) and LogoutResponse (as SAMLResponse) only.',
    });
  }
  return kind;
}

/** The root is the announced message, and its content has the shape the SAML schema allows. */
function expectShape(root: Element, kind: LogoutMessageKind): LogoutMessageKind {
  expectRoot(root, kind);
  checkSchemaShape(root, kind);
  return kind;
}

function relay(value: string | undefined): { relayState?: string } {
  if (value === undefined || value === '') return {};
  if (value.length > MAX_RELAY_STATE) {
    throw new SamlSpError(
      'SAML_MESSAGE_TOO_LARGE',
      `RelayState is longer than ${MAX_RELAY_STATE} characters.`,
      {
        hint: 'RelayState is a short opaque value (bindings §3.4.3: 80 bytes).',
        status: 413,
      },
    );
  }
  return { relayState: value };
}

function missing(where: string): SamlSpError {
  return new SamlSpError('SAML_MESSAGE_MISSING', `The ${where} has no SAMLRequest or SAMLResponse.`, {
    hint: 'The Single Logout URL receives LogoutRequest and LogoutResponse messages. Check the binding and URL configured at the IdP.',
  });
}

function structure(message: string, options: { hint?: string } = {}): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, {
    hint:
      options.hint ?? 'A genuine IdP sends one SAML message per request. The message was altered on the way.',
  });
}
