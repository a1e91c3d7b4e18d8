/**
 * Post-processing for responses samlify cannot produce as asked. samlify always signs *something* (the Response
 * when the assertion is not signed), so an entirely unsigned response, which tests need in order to see an SP
 * refuse it, is made by removing that signature afterwards. Only test overrides reach this file.
 */
import { DOMParser, type Element, XMLSerializer } from '@xmldom/xmldom';
import { NS } from '../core/xml/namespaces.ts';

/** Removes the ds:Signature children of the document element (the message-level signature). */
export function stripMessageSignature(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (!root) throw new Error('dev IdP: cannot strip the signature of an empty document');
  const signatures: Element[] = [];
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (
      n.nodeType === 1 &&
      (n as Element).localName === 'Signature' &&
      (n as Element).namespaceURI === NS.dsig
    ) {
      signatures.push(n as Element);
    }
  }
  for (const signature of signatures) root.removeChild(signature);
  return new XMLSerializer().serializeToString(doc);
}
