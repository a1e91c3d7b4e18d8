/**
 * What a refused message claims, read without trusting it: the Issuer, the NameID, the attribute names and
 * the InResponseTo values. Used only for the admin's trace view (marked "unverified" there unless a
 * signature verified) and to tell whether a refused message answered a request of this browser. Parsed with
 * the same hardened parser as the ACS (no DTD, size and depth limits); never throws.
 */
import { decodeResponse } from '../core/response/decode.ts';
import { NS } from '../core/xml/namespaces.ts';
import { DEFAULT_MAX_XML_BYTES, parseXml } from '../core/xml/parse.ts';

/** The facts a message claims. Every string is clipped: a stranger chooses them. */
export interface MessageClaims {
  issuer?: string;
  nameId?: string;
  attributeNames: string[];
  /** InResponseTo of every SubjectConfirmationData, and of the Response root. */
  inResponseTo: { response?: string; confirmations: string[] };
}

const MAX_TEXT = 300;
const MAX_ATTRIBUTES = 100;

/**
 * Reads the claims of a SAMLResponse (base64 or raw XML); undefined when it does not even parse.
 *
 * @example
 * ```ts
 * peekResponse(req.body.SAMLResponse)?.issuer; // 'https://idp.example.com' (unverified)
 * ```
 */
export function peekResponse(samlResponse: unknown): MessageClaims | undefined {
  if (typeof samlResponse !== 'string') return undefined;
  try {
    const xml = decodeResponse(samlResponse, DEFAULT_MAX_XML_BYTES);
    const root = parseXml(xml, { maxBytes: DEFAULT_MAX_XML_BYTES, what: 'SAML response' }).documentElement;
    if (!root) return undefined;
    const first = (ns: string, name: string) => root.getElementsByTagNameNS(ns, name)[0];
    const names = new Set<string>();
    for (const attribute of Array.from(root.getElementsByTagNameNS(NS.assertion, 'Attribute'))) {
      const name = attribute.getAttribute('Name');
      if (name && names.size < MAX_ATTRIBUTES) names.add(clip(name));
    }
    const confirmations = Array.from(root.getElementsByTagNameNS(NS.assertion, 'SubjectConfirmationData'))
      .map((el) => el.getAttribute('InResponseTo'))
      .filter((v): v is string => !!v);
    const claims: MessageClaims = {
      attributeNames: [...names],
      inResponseTo: {
        confirmations,
        ...(root.getAttribute('InResponseTo') ? { response: root.getAttribute('InResponseTo')! } : {}),
      },
    };
    const issuer = first(NS.assertion, 'Issuer')?.textContent?.trim();
    if (issuer) claims.issuer = clip(issuer);
    const nameId = first(NS.assertion, 'NameID')?.textContent?.trim();
    if (nameId) claims.nameId = clip(nameId);
    return claims;
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
