/**
 * Step 13: the Conditions validity window (SAML core §2.5.1.2), with the connection's clock skew.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../xml/namespaces.ts';
import { singleChild } from '../xml/parse.ts';
import { assertNotBefore, assertNotOnOrAfter, type Clock, parseSamlTime } from './timing.ts';

/** The Conditions window, as far as the IdP set it. */
export interface ConditionsWindow {
  notBefore?: Date;
  notOnOrAfter?: Date;
}

/**
 * Checks Conditions NotBefore and NotOnOrAfter against the clock; returns the window.
 *
 * @example
 * ```ts
 * const { notOnOrAfter } = checkConditionsWindow(assertion, { now, skewSeconds: 120 });
 * ```
 */
export function checkConditionsWindow(assertion: Element, clock: Clock): ConditionsWindow {
  const conditions = singleChild(assertion, NS.assertion, 'Conditions');
  if (!conditions) return {};
  const notBefore = parseSamlTime(conditions.getAttribute('NotBefore'), 'Conditions NotBefore');
  const notOnOrAfter = parseSamlTime(conditions.getAttribute('NotOnOrAfter'), 'Conditions NotOnOrAfter');
  assertNotBefore(notBefore, clock, 'Conditions');
  assertNotOnOrAfter(notOnOrAfter, clock, 'Conditions');
  return { ...(notBefore ? { notBefore } : {}), ...(notOnOrAfter ? { notOnOrAfter } : {}) };
}
