/**
 * Time limits in an assertion: strict xs:dateTime parsing and the NotBefore / NotOnOrAfter comparisons, with
 * the connection's clock skew applied the same way everywhere (Conditions, SubjectConfirmationData,
 * AuthnStatement). Errors say how far off the server clock is, in seconds, because a clock problem is the
 * most common cause and the number tells the admin which side is wrong.
 */
import { SamlSpError } from '../errors.ts';

/** The server clock and the tolerance, as every time check needs them. */
export interface Clock {
  now: Date;
  skewSeconds: number;
}

// xs:dateTime as SAML uses it (core §1.3.3: UTC). Offsets are tolerated; a missing zone is read as UTC.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Parses an xs:dateTime attribute value; undefined when absent. Anything else that is not a valid dateTime
 * (Date.parse accepts far too much) is refused.
 *
 * @example
 * ```ts
 * parseSamlTime('2027-03-01T12:00:00Z', 'Conditions NotBefore'); // Date
 * ```
 */
export function parseSamlTime(value: string | null, where: string): Date | undefined {
  if (value === null) return undefined;
  const m = DATE_TIME.exec(value.trim());
  const [y, mo, d, h, mi, s] = (m?.slice(1, 7) ?? []).map(Number) as number[];
  const base = m
    ? Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0)
    : Number.NaN;
  const check = new Date(base);
  // Date.UTC rolls 2027-02-30 over to March; a calendar date that does not round-trip is not a date.
  if (
    !m ||
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo! - 1 ||
    check.getUTCDate() !== d ||
    h! > 23 ||
    mi! > 59 ||
    s! > 59
  ) {
    throw new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      `${where} is not a valid xs:dateTime: "${value.slice(0, 40)}".`,
      {
        hint: 'SAML times are UTC xs:dateTime values such as 2027-03-01T12:00:00Z.',
        details: { where, value: value.slice(0, 40) },
      },
    );
  }
  const zone = m[8];
  const offsetMinutes =
    zone && zone !== 'Z'
      ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
      : 0;
  return new Date(base - offsetMinutes * 60_000);
}

/**
 * Throws SAML_RESPONSE_NOT_YET_VALID when `notBefore` lies further in the future than the skew allows.
 *
 * @example
 * ```ts
 * assertNotBefore(conditionsNotBefore, { now, skewSeconds: 120 }, 'Conditions');
 * ```
 */
export function assertNotBefore(notBefore: Date | undefined, clock: Clock, where: string): void {
  if (notBefore === undefined) return;
  const ahead = (notBefore.getTime() - clock.now.getTime()) / 1000;
  if (ahead <= clock.skewSeconds) return;
  const seconds = Math.ceil(ahead);
  throw new SamlSpError('SAML_RESPONSE_NOT_YET_VALID', `${where} NotBefore is ${seconds} s in the future.`, {
    hint:
      `${where} NotBefore is ${notBefore.toISOString()}, ${seconds} s ahead of this server's clock ` +
      `(${clock.now.toISOString()}); the allowed skew is ${clock.skewSeconds} s. One of the two clocks is wrong: ` +
      'check NTP on the IdP and on this server (ADFS: Set-AdfsRelyingPartyTrust -NotBeforeSkew 2 adds a margin), ' +
      'or raise clockSkewSeconds for this connection.',
    details: {
      where,
      notBefore: notBefore.toISOString(),
      now: clock.now.toISOString(),
      secondsAhead: seconds,
      skewSeconds: clock.skewSeconds,
    },
  });
}

/**
 * Throws SAML_RESPONSE_EXPIRED when `notOnOrAfter` has passed by more than the skew.
 *
 * @example
 * ```ts
 * assertNotOnOrAfter(conditionsNotOnOrAfter, { now, skewSeconds: 120 }, 'Conditions');
 * ```
 */
export function assertNotOnOrAfter(notOnOrAfter: Date | undefined, clock: Clock, where: string): void {
  if (notOnOrAfter === undefined) return;
  const late = (clock.now.getTime() - notOnOrAfter.getTime()) / 1000;
  if (late < clock.skewSeconds) return;
  const seconds = Math.floor(late);
  throw new SamlSpError('SAML_RESPONSE_EXPIRED', `${where} NotOnOrAfter passed ${seconds} s ago.`, {
    hint:
      `${where} NotOnOrAfter was ${notOnOrAfter.toISOString()}; this server's clock says ${clock.now.toISOString()}, ` +
      `${seconds} s later, and the allowed skew is ${clock.skewSeconds} s. If both clocks are right the response is ` +
      'stale (the browser went back, or it was replayed) and the user should sign in again; otherwise fix NTP or ' +
      'raise clockSkewSeconds for this connection.',
    details: {
      where,
      notOnOrAfter: notOnOrAfter.toISOString(),
      now: clock.now.toISOString(),
      secondsLate: seconds,
      skewSeconds: clock.skewSeconds,
    },
  });
}
