/**
 * Step 12: the Subject (SAML profiles §4.1.4.2). It must name the user (NameID, kept whole: logout echoes
 * Format and qualifiers) and carry at least one bearer SubjectConfirmation whose data is addressed to this
 * ACS URL (Recipient, exact match) and has not expired (NotOnOrAfter, required for bearer).
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import type { NameId } from '../types.ts';
import { nameIdFromElement } from '../xml/name-id.ts';
import { CM_BEARER, NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';
import { assertNotBefore, assertNotOnOrAfter, type Clock, parseSamlTime } from './timing.ts';

/** What the subject check establishes. */
export interface SubjectFacts {
  nameId: NameId;
  /** NotOnOrAfter of the bearer confirmation that was accepted. */
  confirmationNotOnOrAfter: Date;
  /** InResponseTo of that confirmation, if it has one. */
  confirmationInResponseTo?: string;
}

/**
 * Reads the NameID and accepts the first bearer SubjectConfirmation that passes; if none does, the first
 * one's failure is reported (it is usually the one the IdP meant).
 *
 * @example
 * ```ts
 * const { nameId } = checkSubject(assertion, { acsUrl, clock: { now, skewSeconds: 120 } });
 * ```
 */
export function checkSubject(assertion: Element, options: { acsUrl: string; clock: Clock }): SubjectFacts {
  const subject = singleChild(assertion, NS.assertion, 'Subject');
  if (!subject) throw invalid('The assertion has no Subject.', 'A Web SSO assertion must carry a Subject.');
  const nameId = readNameId(subject);

  const bearers = childElements(subject, NS.assertion, 'SubjectConfirmation').filter(
    (sc) => sc.getAttribute('Method') === CM_BEARER,
  );
  if (bearers.length === 0) {
    throw invalid(
      'The Subject has no bearer SubjectConfirmation.',
      `Web browser SSO needs SubjectConfirmation Method="${CM_BEARER}"; the IdP sent another method.`,
    );
  }
  let firstError: unknown;
  for (const bearer of bearers) {
    try {
      return { nameId, ...checkBearer(bearer, options) };
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError;
}

function readNameId(subject: Element): NameId {
  const el = singleChild(subject, NS.assertion, 'NameID');
  if (!el) {
    const encrypted = singleChild(subject, NS.assertion, 'EncryptedID');
    throw invalid(
      encrypted
        ? 'The NameID is encrypted (EncryptedID), which is not supported.'
        : 'The Subject has no NameID.',
      encrypted
        ? 'Turn off NameID encryption in the IdP; encrypt the whole assertion instead.'
        : 'Configure the IdP to send a NameID (ADFS: add a claim rule that issues "Name ID", e.g. Transform an Incoming Claim from E-Mail Address).',
    );
  }
  const value = textOf(el);
  if (!value)
    throw invalid(
      'The NameID is empty.',
      'The IdP sent an empty NameID: check the attribute it is taken from.',
    );
  const nameId = nameIdFromElement(el, value);
  return nameId;
}

function checkBearer(
  confirmation: Element,
  options: { acsUrl: string; clock: Clock },
): Omit<SubjectFacts, 'nameId'> {
  const data = singleChild(confirmation, NS.assertion, 'SubjectConfirmationData');
  const recipient = data?.getAttribute('Recipient') ?? undefined;
  if (recipient !== options.acsUrl) {
    throw new SamlSpError(
      'SAML_RECIPIENT_MISMATCH',
      recipient === undefined
        ? 'The bearer SubjectConfirmationData has no Recipient.'
        : `The SubjectConfirmationData Recipient is ${recipient}, not ${options.acsUrl}.`,
      {
        hint: `Set the ACS URL (Reply URL, Single sign-on URL, Recipient) of this application in the IdP to exactly ${options.acsUrl}.`,
        details: { expected: options.acsUrl, received: recipient ?? null },
      },
    );
  }
  const notOnOrAfter = parseSamlTime(
    data!.getAttribute('NotOnOrAfter'),
    'SubjectConfirmationData NotOnOrAfter',
  );
  if (!notOnOrAfter) {
    throw invalid(
      'The bearer SubjectConfirmationData has no NotOnOrAfter.',
      'SAML requires a NotOnOrAfter on bearer confirmations, limiting how long the assertion can be delivered.',
    );
  }
  assertNotOnOrAfter(notOnOrAfter, options.clock, 'SubjectConfirmationData');
  assertNotBefore(
    parseSamlTime(data!.getAttribute('NotBefore'), 'SubjectConfirmationData NotBefore'),
    options.clock,
    'SubjectConfirmationData',
  );
  const inResponseTo = data!.getAttribute('InResponseTo');
  return {
    confirmationNotOnOrAfter: notOnOrAfter,
    ...(inResponseTo ? { confirmationInResponseTo: inResponseTo } : {}),
  };
}

function invalid(message: string, hint: string): SamlSpError {
  return new SamlSpError('SAML_SUBJECT_INVALID', message, { hint });
}
