/**
 * Step 5: the Response Destination (SAML bindings §3.5.5.2).
 *
 * Decision on an absent Destination: the binding says a signed Response MUST carry one, because the
 * signature is what makes it meaningful (a Response signed for another SP cannot be replayed here). So an
 * absent Destination is refused on a signed Response and accepted on an unsigned one, where the signed
 * SubjectConfirmationData Recipient (subject.ts) is what binds the assertion to this ACS URL.
 *
 * This runs before signature verification, on the parsed root: it can only reject. When the Response is
 * signed, its root attributes are part of the signed bytes (the signature must cover the root by its ID), so
 * the value checked here is the signed value.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements } from '../xml/parse.ts';

/**
 * Exact match of Response@Destination against the ACS URL; required when the Response carries a Signature.
 *
 * @example
 * ```ts
 * checkDestination(response, 'https://sp.example.com/saml/acme/acs');
 * ```
 */
export function checkDestination(response: Element, acsUrl: string): string | undefined {
  const destination = response.getAttribute('Destination') ?? undefined;
  if (destination === undefined) {
    if (childElements(response, NS.dsig, 'Signature').length > 0) {
      throw new SamlSpError(
        'SAML_DESTINATION_MISMATCH',
        'The signed Response has no Destination attribute.',
        {
          hint: `SAML requires a Destination on signed responses. Set the ACS / Reply URL in the IdP to ${acsUrl}.`,
          details: { expected: acsUrl, received: null },
        },
      );
    }
    return undefined;
  }
  if (destination !== acsUrl) {
    throw new SamlSpError(
      'SAML_DESTINATION_MISMATCH',
      `The Response Destination is ${destination}, not ${acsUrl}.`,
      {
        hint: `Set the ACS URL (Reply URL, Single sign-on URL) of this application in the IdP to exactly ${acsUrl}. If the SP runs behind a proxy, check BASE_URL.`,
        details: { expected: acsUrl, received: destination },
      },
    );
  }
  return destination;
}
