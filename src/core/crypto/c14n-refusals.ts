/**
 * What the exclusive canonicaliser (exc-c14n.ts) refuses, and why: content whose canonical form the
 * implementations of the spec do not agree on, or that no SAML message carries. Each ends as a coded
 * SAML_STRUCTURE_INVALID refusal of the message, never as an exception escaping the validator (a 500) and never
 * as bytes another implementation would not produce (found by the fuzzer, issue #9; namespace names: issue #16).
 */
import type { Element, Node } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';

const PROCESSING_INSTRUCTION = 7;

/**
 * What the walk met that exclusive c14n of a SAML element must not render (found by the fuzzer, issue #9):
 * a processing instruction (anywhere in the subtree, as before: it takes precedence), or a node of another
 * type. Either is a property of a hostile message, so it ends as a coded refusal.
 */
export function refusal(apex: Element, exclude: Element | undefined, type: number): SamlSpError {
  if (type === PROCESSING_INSTRUCTION || containsProcessingInstruction(apex, exclude)) {
    return new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      'The signed XML contains a processing instruction, which the canonicaliser cannot render faithfully.',
      {
        hint: 'A genuine IdP never puts processing instructions into signed SAML content; the message was crafted or altered.',
      },
    );
  }
  return new SamlSpError(
    'SAML_STRUCTURE_INVALID',
    `The signed XML cannot be canonicalised: Unable to exclusive canonicalize node type: ${type}.`,
    {
      hint: 'A genuine IdP never puts such a node into signed SAML content; the message was crafted or altered.',
    },
  );
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const agreedNamespaces = new Set<string>();
/** The characters of RFC 3986 URIs, without `&` (which attribute values escape). */
const AGREED_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$'()*+,;=%]*$/;

/**
 * Refuses a namespace name canonicalisers do not agree on. C14N 1.0 §2.1: an implementation MUST report an
 * operation failure on documents containing relative namespace URIs (libxml2 does). libxml2 also fails on a
 * name that is not a URI (non-ASCII, white space, quotes). And a name with `&`: the spec escapes it like an
 * attribute value, xml-crypto writes it raw, libxml2 writes its internal form (`&#38;`). No SAML namespace
 * name is any of these.
 */
export function checkNamespaceValue(value: string): void {
  if (value === '' || agreedNamespaces.has(value)) return;
  if (AGREED_URI.test(value)) {
    // The same few namespace names recur in every message; bounded, since names come from messages.
    if (agreedNamespaces.size >= 256) agreedNamespaces.clear();
    agreedNamespaces.add(value);
    return;
  }
  throw new SamlSpError(
    'SAML_STRUCTURE_INVALID',
    `The signed XML cannot be canonicalised: the namespace name ${JSON.stringify(value.slice(0, 100))} is ${ABSOLUTE_URI.test(value) ? 'written with characters canonicalisers render differently' : 'a relative URI'}.`,
    {
      hint: 'Namespace names in SAML are absolute URIs without such characters; the message was crafted or altered.',
    },
  );
}

export function unboundPrefix(prefix: string): SamlSpError {
  return new SamlSpError(
    'SAML_STRUCTURE_INVALID',
    `The signed XML cannot be canonicalised: the prefix ${prefix} is not bound to a namespace.`,
    { hint: 'The message is not namespace-well-formed; it was crafted or altered.' },
  );
}

/** Whether a processing instruction sits under `root`, outside `exclude` (iterative: hostile depth). */
function containsProcessingInstruction(root: Node, exclude: Node | undefined): boolean {
  let node: Node | null = root.firstChild;
  while (node && node !== root) {
    if (node.nodeType === PROCESSING_INSTRUCTION) return true;
    if (node.firstChild && node !== exclude) {
      node = node.firstChild;
      continue;
    }
    while (node && node !== root && !node.nextSibling) node = node.parentNode;
    if (node && node !== root) node = node.nextSibling;
  }
  return false;
}
