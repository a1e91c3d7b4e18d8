/**
 * decodeBase64Xml takes a fast path since issue #16: a value that is exactly the canonical encoding of its
 * bytes is accepted without the regular-expression scans. Here it is held to the strict version it
 * shortcuts, kept below as the oracle, on canonical values, line-wrapped ones, unpadded ones, base64url
 * characters (which Node's decoder would accept silently), stray characters and padding in the middle.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamlSpError } from '../../../src/core/errors.ts';
import { decodeBase64Xml } from '../../../src/core/xml/parse.ts';

/** The implementation before issue #16: the oracle. */
function strict(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return 'refused';
  return Buffer.from(compact, 'base64').toString('utf8');
}

function current(value: string): string {
  try {
    return decodeBase64Xml(value, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(SamlSpError);
    expect((err as SamlSpError).code).toBe('SAML_MALFORMED');
    return 'refused';
  }
}

const encoded = fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));
const edited = fc
  .tuple(
    encoded,
    fc.constantFrom<(s: string) => string>(
      (s) => s,
      (s) => s.replace(/=+$/, ''),
      (s) => s.replace(/(.{8})/g, '$1\r\n'),
      (s) => ` ${s}\n`,
      (s) => s.replace(/\+/g, '-').replace(/\//g, '_'),
      (s) => `${s}=`,
      (s) => `=${s}`,
      (s) => `${s.slice(0, 3)}=${s.slice(3)}`,
      (s) => `${s.slice(0, 5)}\u00a0${s.slice(5)}`,
      (s) => `${s.slice(0, 2)}*${s.slice(2)}`,
      (s) => s.slice(0, -1),
    ),
  )
  .map(([s, edit]) => edit(s));

describe('decodeBase64Xml', () => {
  it.each([
    'PGEvPg==',
    'PGEvPg',
    'PGEv\nPg==',
    'PGEvPg===',
    '',
    ' ',
    '====',
    'QR==',
    'a-b_',
    'PGEvPg==\u2028',
  ])('%j as before', (value) => {
    expect(current(value)).toBe(strict(value));
  });

  test.prop([edited], { numRuns: 1000 })('edited encodings as before', (value) => {
    expect(current(value)).toBe(strict(value));
  });

  test.prop([fc.string({ unit: fc.constantFrom(...'AZaz09+/= \n-_*'.split('')) })], { numRuns: 500 })(
    'strings of base64-like characters as before',
    (value) => {
      expect(current(value)).toBe(strict(value));
    },
  );
});
