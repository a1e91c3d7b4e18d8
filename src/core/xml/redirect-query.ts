/**
 * Reading the HTTP-Redirect binding's query string (SAML bindings §3.4.4.1). The signature covers the
 * parameters exactly as they were percent-encoded by the sender, so they are kept raw until verified; and a
 * parameter given twice would leave it ambiguous which value was signed, so that is refused outright.
 */
import { SamlSpError } from '../errors.ts';

/** The query parameters the binding defines; anything else in the URL is ignored. */
export const SAML_QUERY_PARAMS = [
  'SAMLRequest',
  'SAMLResponse',
  'RelayState',
  'SigAlg',
  'Signature',
] as const;

/** The binding's parameters as sent (still percent-encoded), by name. */
export function rawSamlParams(query: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = query.startsWith('?') ? query.slice(1) : query;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = formDecode(eq === -1 ? part : part.slice(0, eq));
    if (!(SAML_QUERY_PARAMS as readonly string[]).includes(name)) continue;
    if (out.has(name)) {
      throw new SamlSpError('SAML_STRUCTURE_INVALID', `The query repeats the ${name} parameter.`, {
        hint: 'A redirect-binding message carries each SAML parameter once; this URL was altered on its way.',
      });
    }
    out.set(name, eq === -1 ? '' : part.slice(eq + 1));
  }
  return out;
}

/**
 * A parameter's decoded value. Base64 values (the message, the signature) sometimes arrive with '+' left
 * unencoded, which form-decoding reads as a space: it is put back. RelayState is opaque text and kept as is.
 */
export function decodedSamlParam(
  raw: Map<string, string>,
  name: (typeof SAML_QUERY_PARAMS)[number],
): string | undefined {
  const value = raw.get(name);
  if (value === undefined) return undefined;
  const decoded = formDecode(value);
  return name === 'RelayState' || name === 'SigAlg' ? decoded : decoded.replace(/ /g, '+');
}

/** The octet string the sender signed, rebuilt from the raw parameters in the order the binding fixes. */
export function redirectOctetString(
  key: string,
  rawMessage: string,
  rawRelay: string | undefined,
  rawSigAlg: string,
): string {
  return `${key}=${rawMessage}${rawRelay === undefined ? '' : `&RelayState=${rawRelay}`}&SigAlg=${rawSigAlg}`;
}

/** application/x-www-form-urlencoded decoding of one value, with a coded error for broken escapes. */
export function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new SamlSpError('SAML_MALFORMED', 'The query string has an invalid percent-encoding.', {
      hint: 'The URL was probably truncated or mangled on its way from the IdP.',
    });
  }
}

/** One redirect-binding message as received: its decoded fields and the octet string its signature covers. */
export interface RedirectMessage {
  key: 'SAMLRequest' | 'SAMLResponse';
  /** The message value, decoded from the query (still base64 of deflated XML). */
  value: string;
  relayState?: string;
  sigAlg?: string;
  signature?: string;
  /** `key=…[&RelayState=…][&SigAlg=…]` in the sender's original percent-encoding. */
  octetString: string;
}

/**
 * Reads a redirect-binding query into its message fields, without verifying anything: callers that verify
 * with another library (the dev IdP hands these to samlify) need the decoded values and the signed octets.
 */
export function readRedirectMessage(query: string): RedirectMessage {
  const raw = rawSamlParams(query);
  const key = raw.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
  const value = decodedSamlParam(raw, key);
  if (!value) {
    throw new SamlSpError(
      'SAML_MESSAGE_MISSING',
      'No SAMLRequest or SAMLResponse query parameter was sent.',
      {
        hint: 'The HTTP-Redirect binding sends the message as a query parameter. Check the binding configured at the IdP.',
      },
    );
  }
  const message: RedirectMessage = {
    key,
    value,
    octetString: [key, 'RelayState', 'SigAlg']
      .filter((k) => raw.has(k))
      .map((k) => `${k}=${raw.get(k)}`)
      .join('&'),
  };
  for (const name of ['RelayState', 'SigAlg', 'Signature'] as const) {
    const v = decodedSamlParam(raw, name);
    if (v !== undefined)
      message[name === 'RelayState' ? 'relayState' : name === 'SigAlg' ? 'sigAlg' : 'signature'] = v;
  }
  return message;
}
