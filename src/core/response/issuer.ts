/**
 * Steps 6 and 11: the Issuer of the Response (optional) and of the Assertion (required), compared exactly
 * with the connection's IdP entity ID.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { singleChild, textOf } from '../xml/parse.ts';

/**
 * Checks Issuer against the IdP entity ID. `required` is false for the Response (SAML core §3.2.2: the
 * Issuer MAY be omitted there) and true for the Assertion. Returns the issuer read.
 *
 * @example
 * ```ts
 * checkIssuer(assertion, 'https://sts.windows.net/tenant/', { what: 'Assertion', required: true });
 * ```
 */
export function checkIssuer(
  el: Element,
  idpEntityId: string,
  options: { what: 'Response' | 'Assertion'; required: boolean },
): string | undefined {
  const issuerEl = singleChild(el, NS.assertion, 'Issuer');
  const issuer = textOf(issuerEl);
  if (issuer === undefined || issuer === '') {
    if (!options.required) return undefined;
    throw new SamlSpError('SAML_ISSUER_MISMATCH', `The ${options.what} has no Issuer.`, {
      hint: `The IdP must name itself in the ${options.what} Issuer; this connection expects ${idpEntityId}.`,
      details: { expected: idpEntityId, received: null },
    });
  }
  const format = issuerEl?.getAttribute('Format');
  if (format && format !== 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity') {
    throw new SamlSpError(
      'SAML_ISSUER_MISMATCH',
      `The ${options.what} Issuer has Format ${format}, not entity.`,
      {
        hint: 'SAML requires the entity Format (or none) on an assertion or response Issuer.',
        details: { format },
      },
    );
  }
  if (issuer !== idpEntityId) {
    throw new SamlSpError(
      'SAML_ISSUER_MISMATCH',
      `The ${options.what} Issuer is ${issuer}, not ${idpEntityId}.`,
      {
        hint: `The connection's IdP entity ID must equal the Issuer exactly (Entra: https://sts.windows.net/<tenant>/ with the trailing slash). Re-import the IdP metadata, or check that this response comes from the IdP configured for this connection.`,
        details: { expected: idpEntityId, received: issuer },
      },
    );
  }
  return issuer;
}
