/**
 * parseSamlTime reads the fields by hand and checks the calendar directly since issue #16 (it used a regular
 * expression with eight groups, then made a Date and compared its fields). Here
 * it is held to the round-trip version it replaced, kept below as the oracle, on generated values around
 * every edge: month lengths, leap years (1900, 2000, 2024), years below 100, fractions, offsets, junk.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { parseSamlTime } from '../../../src/core/response/timing.ts';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/** The implementation before issue #16, verbatim but for the error: the oracle. */
function roundTrip(value: string): number | 'invalid' {
  const m = DATE_TIME.exec(value.trim());
  const [y, mo, d, h, mi, s] = (m?.slice(1, 7) ?? []).map(Number) as number[];
  const base = m
    ? Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0)
    : Number.NaN;
  const check = new Date(base);
  if (
    !m ||
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo! - 1 ||
    check.getUTCDate() !== d ||
    h! > 23 ||
    mi! > 59 ||
    s! > 59
  ) {
    return 'invalid';
  }
  const zone = m[8];
  const offsetMinutes =
    zone && zone !== 'Z'
      ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
      : 0;
  return base - offsetMinutes * 60_000;
}

function current(value: string): number | 'invalid' {
  try {
    return parseSamlTime(value, 'test')!.getTime();
  } catch (err) {
    expect(err).toBeInstanceOf(SamlSpError);
    expect((err as SamlSpError).code).toBe('SAML_STRUCTURE_INVALID');
    return 'invalid';
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const dateTime = fc
  .record({
    year: fc.oneof(
      fc.constantFrom(0, 1, 99, 100, 1900, 2000, 2024, 2100, 9999),
      fc.integer({ min: 0, max: 9999 }),
    ),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.oneof(fc.constantFrom(0, 28, 29, 30, 31, 32), fc.integer({ min: 0, max: 99 })),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,10}$/), { nil: undefined }),
    zone: fc.constantFrom('', 'Z', 'z', '+00:00', '-05:30', '+14:00', '+99:99', '+0100', '-01:0', '+', 'Z '),
    space: fc.constantFrom('', ' ', '\n\t'),
  })
  .map(
    (t) =>
      `${t.space}${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${t.fraction === undefined ? '' : `.${t.fraction}`}${t.zone}${t.space}`,
  );

describe('parseSamlTime', () => {
  it.each([
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2000-02-29T23:59:59.999Z',
    '0099-12-31T00:00:00Z',
    '0100-01-01T00:00:00Z',
    '2027-04-31T00:00:00Z',
    '2027-03-01T12:00:00+01:00',
    '2027-03-01T12:00:00',
    '2027-03-01T12:00:60Z',
    '2027-03-01 12:00:00Z',
    'tomorrow',
    '2027-03-01T12:00:00.Z',
    '2027-03-01T12:00:00.1234567890Z',
    '2027-03-01T12:00:00.123456789-01:30',
    '2027-03-01T12:00:00+0100',
    '2027-03-01T12:00:00z',
    '2027-03-01T12:00:00+01:00Z',
    '2027-03-01T12:00:00-',
    '2027-03-01T12:00:00+01:0',
    '２027-03-01T12:00:00Z',
    '2027-03-01T12:00:00.5',
    '+2027-03-01T12:00:00Z',
    '2027-3-01T12:00:00Z',
    '2027-03-01T12:00:00ZZ',
    '2027-03-01t12:00:00Z',
    '',
  ])('%s as before', (value) => {
    expect(current(value)).toEqual(roundTrip(value));
  });

  test.prop([dateTime], { numRuns: 2000 })('generated dateTimes as before', (value) => {
    expect(current(value)).toEqual(roundTrip(value));
  });

  test.prop([fc.string()], { numRuns: 300 })('any string as before', (value) => {
    expect(current(value)).toEqual(roundTrip(value));
  });

  it('undefined when absent', () => {
    expect(parseSamlTime(null, 'test')).toBeUndefined();
  });
});
