/**
 * Step 15: the AuthnStatement (SAML core §2.7.2). It supplies the SessionIndex that single logout needs, and
 * two time limits: AuthnInstant must not lie in the future, and an IdP session that has already ended
 * (SessionNotOnOrAfter) cannot start one here. Keycloak can be configured to omit the statement, so it is
 * optional; when there are several, the first is used.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';
import { assertNotBefore, assertNotOnOrAfter, type Clock, parseSamlTime } from './timing.ts';

/** What the AuthnStatement says about the IdP session. */
export interface AuthnFacts {
  sessionIndex?: string;
  sessionNotOnOrAfter?: Date;
  authnInstant?: Date;
  authnContextClassRef?: string;
}

/**
 * Reads and time-checks the first AuthnStatement, if any.
 *
 * @example
 * ```ts
 * const { sessionIndex } = checkAuthnStatement(assertion, { now, skewSeconds: 120 });
 * ```
 */
export function checkAuthnStatement(assertion: Element, clock: Clock): AuthnFacts {
  const statement = childElements(assertion, NS.assertion, 'AuthnStatement')[0];
  if (!statement) return {};
  const authnInstant = parseSamlTime(statement.getAttribute('AuthnInstant'), 'AuthnStatement AuthnInstant');
  const sessionNotOnOrAfter = parseSamlTime(
    statement.getAttribute('SessionNotOnOrAfter'),
    'AuthnStatement SessionNotOnOrAfter',
  );
  // AuthnInstant is a NotBefore in all but name: an authentication cannot have happened in the future.
  assertNotBefore(authnInstant, clock, 'AuthnStatement AuthnInstant');
  assertNotOnOrAfter(sessionNotOnOrAfter, clock, 'AuthnStatement SessionNotOnOrAfter');
  const sessionIndex = statement.getAttribute('SessionIndex');
  const context = singleChild(statement, NS.assertion, 'AuthnContext');
  const classRef = context && textOf(singleChild(context, NS.assertion, 'AuthnContextClassRef'));
  return {
    ...(sessionIndex ? { sessionIndex } : {}),
    ...(sessionNotOnOrAfter ? { sessionNotOnOrAfter } : {}),
    ...(authnInstant ? { authnInstant } : {}),
    ...(classRef ? { authnContextClassRef: classRef } : {}),
  };
}
