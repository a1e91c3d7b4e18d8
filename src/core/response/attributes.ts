/**
 * Step 17: the attributes. Repeated <Attribute> elements with one Name are merged (Keycloak sends one element
 * per role), every value is kept in order, xsi:type is ignored (values are read as text), an empty
 * <AttributeValue/> is the empty string and an xsi:nil value is no value.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../xml/namespaces.ts';
import { childElements, textContentOf } from '../xml/parse.ts';

/**
 * Reads every AttributeStatement of the assertion into name → values.
 *
 * @example
 * ```ts
 * readAttributes(assertion); // { email: ['alice@example.com'], Role: ['admin', 'user'] }
 * ```
 */
export function readAttributes(assertion: Element): Record<string, string[]> {
  // A Map, not an object literal: attribute names are IdP-controlled ("__proto__", "constructor").
  const merged = new Map<string, string[]>();
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      const values = merged.get(name) ?? [];
      merged.set(name, values);
      for (const value of childElements(attribute, NS.assertion, 'AttributeValue')) {
        if (value.getAttributeNS(NS.xsi, 'nil') === 'true') continue;
        values.push(textContentOf(value).trim());
      }
    }
  }
  return Object.fromEntries(merged);
}
