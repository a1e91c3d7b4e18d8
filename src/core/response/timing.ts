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
// The form, read by readDateTime: YYYY-MM-DDThh:mm:ss, an optional fraction of 1 to 9 digits, an optional
// Z or +hh:mm / -hh:mm.

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
  const fields = readDateTime(value.trim());
  if (!fields) throw invalidTime(value, where);
  const { y, mo, d, h, mi, s, fraction, offsetMinutes } = fields;
  // The calendar checked directly rather than by a Date round trip (issue #16: fewer allocations). A year
  // below 100 stays refused, as the round trip refused it (Date.UTC reads 0-99 as 1900-1999).
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    throw invalidTime(value, where);
  }
  const base = Date.UTC(y, mo - 1, d, h, mi, s, fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0);
  return new Date(base - offsetMinutes * 60_000);
}

/**
 * The fields of `YYYY-MM-DDThh:mm:ss(.s{1,9})?(Z|(+|-)hh:mm)?`, read character by character (the regular
 * expression it replaces, with its eight capture groups, was most of the cost; issue #16); undefined when the
 * text has any other form.
 */
function readDateTime(t: string):
  | {
      y: number;
      mo: number;
      d: number;
      h: number;
      mi: number;
      s: number;
      fraction: string;
      offsetMinutes: number;
    }
  | undefined {
  if (t.length < 19) return undefined;
  const y = digits(t, 0, 4);
  const mo = digits(t, 5, 2);
  const d = digits(t, 8, 2);
  const h = digits(t, 11, 2);
  const mi = digits(t, 14, 2);
  const s = digits(t, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  if (t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':') return undefined;
  let i = 19;
  let fraction = '';
  if (t[i] === '.') {
    let j = i + 1;
    while (j < t.length && isDigit(t.charCodeAt(j))) j++;
    if (j === i + 1 || j - i - 1 > 9) return undefined;
    fraction = t.slice(i, j);
    i = j;
  }
  let offsetMinutes = 0;
  if (i === t.length) return { y, mo, d, h, mi, s, fraction, offsetMinutes };
  if (t[i] === 'Z') {
    if (i + 1 !== t.length) return undefined;
  } else if (t[i] === '+' || t[i] === '-') {
    const oh = digits(t, i + 1, 2);
    const om = digits(t, i + 4, 2);
    if (i + 6 !== t.length || oh < 0 || om < 0 || t[i + 3] !== ':') return undefined;
    offsetMinutes = (t[i] === '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return undefined;
  }
  return { y, mo, d, h, mi, s, fraction, offsetMinutes };
}

/** The decimal value of `count` ASCII digits at `at`, or -1 if any of them is not a digit. */
function digits(t: string, at: number, count: number): number {
  if (at + count > t.length) return -1;
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = t.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month of the proleptic Gregorian calendar, as Date computes it. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

function invalidTime(value: string, where: string): SamlSpError {
  return new SamlSpError(
    'SAML_STRUCTURE_INVALID',
    `${where} is not a valid xs:dateTime: "${value.slice(0, 40)}".`,
    {
      hint: 'SAML times are UTC xs:dateTime values such as 2027-03-01T12:00:00Z.',
      details: { where, value: value.slice(0, 40) },
    },
  );
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
