/**
 * Step 3: the shape of the document, checked once over the whole tree before any signature work.
 *
 * Signature-wrapping (XSW) attacks need a second copy of something: a second Assertion hidden in Extensions,
 * an Advice or a ds:Object, a second element with the signed ID, a signed Response nested in an evil one.
 * A genuine IdP never sends any of these, so they are refused here outright. Reading only signed bytes
 * (signature.ts) defeats the same attacks again, independently.
 */
import type { Document, Element, Node } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { checkElementShape } from '../xml/schema-shape.ts';

/** What the structure check found: the root and its single assertion, if any. */
export interface ResponseStructure {
  response: Element;
  responseId: string;
  /** A plain Assertion child of the root. */
  assertion?: Element;
  /** An EncryptedAssertion child of the root. */
  encryptedAssertion?: Element;
}

// xml-crypto resolves a Reference URI against any attribute named ID, Id or id (isIdAttributeName), so
// uniqueness must hold across all three.
const XMLNS = 'http://www.w3.org/2000/xmlns/';

/**
 * Checks a parsed Response document: root samlp:Response version 2.0 with an ID, at most one Assertion or
 * EncryptedAssertion in the whole document (and then as a child of the root), no nested Response, no ID
 * value used twice, and the children the SAML schema allows where they stand.
 *
 * @example
 * ```ts
 * const { response, assertion, encryptedAssertion } = checkResponseStructure(doc);
 * ```
 */
export function checkResponseStructure(doc: Document): ResponseStructure {
  const response = doc.documentElement!;
  if (response.localName !== 'Response' || response.namespaceURI !== NS.protocol) {
    throw invalid(`The root element is <${response.tagName}>, not a SAML 2.0 <samlp:Response>.`, {
      hint: 'The IdP posted another kind of message to the ACS URL (a LogoutResponse belongs at the SLO URL).',
      details: { root: response.tagName, namespace: response.namespaceURI },
    });
  }
  const responseId = requireVersionAndId(response, 'Response');
  const { assertions, encrypted } = walkDocument(response, 'SAML response');

  const all = [...assertions, ...encrypted];
  if (all.length > 1) {
    throw invalid(`The response contains ${all.length} assertions; exactly one is allowed.`, {
      hint: 'SAML Web SSO responses carry one assertion. Extra assertions are a signature-wrapping pattern.',
      details: { assertions: assertions.length, encryptedAssertions: encrypted.length },
    });
  }
  const found = all[0];
  if (found && found.parentNode !== response) {
    throw invalid(`The <${found.localName}> is not a direct child of the Response.`, {
      hint: 'An assertion nested elsewhere (Extensions, Advice, ds:Object) is a signature-wrapping pattern.',
      details: { parent: (found.parentNode as Element | null)?.tagName },
    });
  }
  return {
    response,
    responseId,
    ...(assertions[0] ? { assertion: assertions[0] } : {}),
    ...(encrypted[0] ? { encryptedAssertion: encrypted[0] } : {}),
  };
}

/**
 * The same walk for a decrypted assertion document: root saml:Assertion, no nested assertion, unique IDs.
 *
 * @example
 * ```ts
 * const assertion = checkAssertionDocument(parseXml(decryptedXml));
 * ```
 */
export function checkAssertionDocument(doc: Document): Element {
  const root = doc.documentElement!;
  if (root.localName !== 'Assertion' || root.namespaceURI !== NS.assertion) {
    throw invalid(`The decrypted content is <${root.tagName}>, not a <saml:Assertion>.`, {
      hint: 'The IdP encrypted something other than an assertion.',
    });
  }
  const { assertions, encrypted } = walkDocument(root, 'decrypted assertion');
  if (assertions.length + encrypted.length > 1) {
    throw invalid('The decrypted assertion contains another assertion.', {
      hint: 'Nested assertions are a signature-wrapping pattern.',
    });
  }
  return root;
}

/** Version must be 2.0 and ID non-empty; returns the ID. */
export function requireVersionAndId(el: Element, what: string): string {
  const version = el.getAttribute('Version');
  if (version !== '2.0') {
    throw invalid(`The ${what} has Version "${version ?? ''}", not "2.0".`, {
      hint: 'Only SAML 2.0 is supported. Configure the IdP application as SAML 2.0 (not SAML 1.1 or WS-Federation).',
    });
  }
  const id = el.getAttribute('ID');
  if (!id)
    throw invalid(`The ${what} has no ID attribute.`, {
      hint: 'A SAML 2.0 message without an ID is malformed.',
    });
  return id;
}

/**
 * One pass over every element: collects assertions, refuses nested Responses and duplicate IDs, and checks
 * each element's children against the SAML schema (xml/schema-shape.ts).
 */
function walkDocument(root: Element, what: string): { assertions: Element[]; encrypted: Element[] } {
  const assertions: Element[] = [];
  const encrypted: Element[] = [];
  const ids = new Set<string>();
  // Document order through the sibling links (no stack to fill): same order, same first refusal.
  let el: Element | null = root;
  while (el) {
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      if (!isIdAttributeName(a.localName ?? a.name) || a.namespaceURI === XMLNS) continue;
      if (ids.has(a.value)) {
        throw invalid(`The ID "${a.value}" appears on more than one element.`, {
          hint: 'Duplicate IDs let a signature point at one element while the reader uses another (signature wrapping).',
          details: { id: a.value },
        });
      }
      ids.add(a.value);
    }
    if (el.namespaceURI === NS.assertion) {
      if (el.localName === 'Assertion') assertions.push(el);
      else if (el.localName === 'EncryptedAssertion') encrypted.push(el);
    } else if (el !== root && el.localName === 'Response' && el.namespaceURI === NS.protocol) {
      throw invalid('A Response is nested inside the Response.', {
        hint: 'A nested Response is a signature-wrapping pattern; a genuine IdP never sends one.',
      });
    }
    checkElementShape(el, what);
    el = nextInDocumentOrder(el, root);
  }
  return { assertions, encrypted };
}

/** xml-crypto resolves a Reference URI against any attribute with one of these local names. */
function isIdAttributeName(name: string): boolean {
  return name === 'ID' || name === 'Id' || name === 'id';
}

/** The element after `el` in document order within `root`'s subtree, or null at the end. */
function nextInDocumentOrder(el: Element, root: Element): Element | null {
  const child = firstElementIn(el.firstChild);
  if (child) return child;
  for (let n: Element | null = el; n && n !== root; n = n.parentNode as Element | null) {
    const sibling = firstElementIn(n.nextSibling);
    if (sibling) return sibling;
  }
  return null;
}

function firstElementIn(n: Node | null): Element | null {
  while (n && n.nodeType !== 1) n = n.nextSibling;
  return n as Element | null;
}

function invalid(message: string, options: { hint: string; details?: Record<string, unknown> }): SamlSpError {
  return new SamlSpError('SAML_STRUCTURE_INVALID', message, options);
}
