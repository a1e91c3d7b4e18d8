/** Reading a <saml:NameID> exactly as the IdP sent it: logout must echo every attribute back. */
import type { Element } from '@xmldom/xmldom';
import type { NameId } from '../types.ts';

const NAME_ID_ATTRIBUTES = [
  ['Format', 'format'],
  ['NameQualifier', 'nameQualifier'],
  ['SPNameQualifier', 'spNameQualifier'],
] as const;

/** The NameID with its value (already read and checked by the caller) and its optional attributes. */
export function nameIdFromElement(el: Element, value: string): NameId {
  const nameId: NameId = { value };
  for (const [attribute, key] of NAME_ID_ATTRIBUTES) {
    const v = el.getAttribute(attribute);
    if (v !== null && v !== '') nameId[key] = v;
  }
  return nameId;
}
