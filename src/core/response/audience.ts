/**
 * Step 14: the audience. SAML profiles §4.1.4.2 require an AudienceRestriction naming the SP, and SAML core
 * §2.5.1.4 makes several AudienceRestriction elements a conjunction: each one must name this SP. The match is
 * exact string equality: no prefix match (BoxyHQ's startsWith let https://sp.example.com.evil through), no
 * trailing-slash or case folding.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';

/**
 * Checks that every AudienceRestriction contains `spEntityId`; returns all audiences seen.
 *
 * @example
 * ```ts
 * checkAudience(assertion, 'https://sp.example.com');
 * ```
 */
export function checkAudience(assertion: Element, spEntityId: string): string[] {
  const conditions = singleChild(assertion, NS.assertion, 'Conditions');
  const restrictions = conditions ? childElements(conditions, NS.assertion, 'AudienceRestriction') : [];
  const hint = `Set the SP Entity ID / Audience URI (Okta: "Audience URI"; Entra: "Identifier (Entity ID)") of this application in the IdP to exactly ${spEntityId}.`;
  if (restrictions.length === 0) {
    throw new SamlSpError('SAML_AUDIENCE_MISMATCH', 'The assertion has no AudienceRestriction.', {
      hint,
      details: { expected: spEntityId, received: [] },
    });
  }
  const all: string[] = [];
  for (const restriction of restrictions) {
    const audiences = childElements(restriction, NS.assertion, 'Audience').map((a) => textOf(a) ?? '');
    all.push(...audiences);
    if (!audiences.includes(spEntityId)) {
      throw new SamlSpError(
        'SAML_AUDIENCE_MISMATCH',
        `The assertion is addressed to ${audiences.join(', ') || '(no audience)'}, not to ${spEntityId}.`,
        { hint, details: { expected: spEntityId, received: audiences } },
      );
    }
  }
  return all;
}
