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
  /**
   * The latest NotOnOrAfter among the bearer confirmations that pass now or would pass at some other instant
   * (Recipient matches, times well-formed): until then, some confirmation could still accept the assertion,
   * so the replay cache must remember it that long.
   */
  latestConfirmationNotOnOrAfter: Date;
  /** InResponseTo of the accepted confirmation, if it has one. */
  confirmationInResponseTo?: string;
}

/**
 * Reads the NameID and accepts the first bearer SubjectConfirmation that passes; if none does, the first
 * failure is reported (it is usually the one the IdP meant). Every bearer confirmation is read, so that the
 * replay horizon covers the latest one that could pass, not only the one accepted now.
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
  let accepted: BearerFacts | undefined;
  let latest: Date | undefined;
  for (const bearer of bearers) {
    let facts: BearerFacts;
    try {
      facts = readBearer(bearer, options.acsUrl);
    } catch (err) {
      firstError ??= err;
      continue;
    }
    if (latest === undefined || facts.notOnOrAfter > latest) latest = facts.notOnOrAfter;
    if (accepted) continue;
    try {
      checkBearerTimes(facts, options.clock);
      accepted = facts;
    } catch (err) {
      firstError ??= err;
    }
  }
  if (!accepted || latest === undefined) throw firstError;
  return {
    nameId,
    confirmationNotOnOrAfter: accepted.notOnOrAfter,
    latestConfirmationNotOnOrAfter: latest,
    ...(accepted.inResponseTo ? { confirmationInResponseTo: accepted.inResponseTo } : {}),
  };
}

/** A bearer confirmation addressed to this ACS, with well-formed times (not yet checked against the clock). */
interface BearerFacts {
  notOnOrAfter: Date;
  notBefore?: Date;
  inResponseTo?: string;
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

function readBearer(confirmation: Element, acsUrl: string): BearerFacts {
  const data = singleChild(confirmation, NS.assertion, 'SubjectConfirmationData');
  const recipient = data?.getAttribute('Recipient') ?? undefined;
  if (recipient !== acsUrl) {
    throw new SamlSpError(
      'SAML_RECIPIENT_MISMATCH',
      recipient === undefined
        ? 'The bearer SubjectConfirmationData has no Recipient.'
        : `The SubjectConfirmationData Recipient is ${recipient}, not ${acsUrl}.`,
      {
        hint: `Set the ACS URL (Reply URL, Single sign-on URL, Recipient) of this application in the IdP to exactly ${acsUrl}.`,
        details: { expected: acsUrl, received: recipient ?? null },
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
  const notBefore = parseSamlTime(data!.getAttribute('NotBefore'), 'SubjectConfirmationData NotBefore');
  const inResponseTo = data!.getAttribute('InResponseTo');
  return {
    notOnOrAfter,
    ...(notBefore ? { notBefore } : {}),
    ...(inResponseTo ? { inResponseTo } : {}),
  };
}

function checkBearerTimes(facts: BearerFacts, clock: Clock): void {
  assertNotOnOrAfter(facts.notOnOrAfter, clock, 'SubjectConfirmationData');
  assertNotBefore(facts.notBefore, clock, 'SubjectConfirmationData');
}

function invalid(message: string, hint: string): SamlSpError {
  return new SamlSpError('SAML_SUBJECT_INVALID', message, { hint });
}
