/**
 * Characters XML 1.0 does not allow (issue #9, item 10: found by the fuzzer's differential check against
 * xmlsec1, whose libxml2 refuses such documents while xmldom parsed them).
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { assertXmlCharacters } from '../../../src/core/xml/characters.ts';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { buildResponse, buildValidateOptions } from '../../fixtures/build-response.ts';
import { expectRejected } from '../response/helpers.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('characters outside XML 1.0 Char', () => {
  it.each([
    ['a NUL', '<a>x\u0000y</a>'],
    ['a C0 control', '<a b="\u0001"/>'],
    ['U+FFFE', '<a>\ufffe</a>'],
    ['an unpaired high surrogate', '<a>\ud800x</a>'],
    ['an unpaired low surrogate', '<a>x\udc00</a>'],
    ['a reference to NUL', '<a>&#0;</a>'],
    ['a hexadecimal reference to a surrogate', '<a>&#xD800;</a>'],
    ['a reference past U+10FFFF', '<a>&#x110000;</a>'],
  ])('refuses %s', (_name, xml) => {
    expect(codeOf(() => parseXml(xml))).toBe('SAML_MALFORMED');
  });

  it.each([
    ['tab, LF and CR', '<a>\t\n\r</a>'],
    ['a surrogate pair', '<a>\ud83d\udd10</a>'],
    ['references to allowed characters', '<a>&#9;&#xA;&#x1F510;&#65533;</a>'],
  ])('accepts %s', (_name, xml) => {
    expect(codeOf(() => parseXml(xml))).toBeUndefined();
  });

  it('refuses a NUL in the unsigned KeyInfo of a signed response (xmldom took it, the signature verified)', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace('<ds:X509Certificate>', '<ds:X509Certificate>\u0000'),
    });
    await expectRejected(samlResponse, 'SAML_MALFORMED');
  });

  it('still accepts a response with non-ASCII text', async () => {
    const samlResponse = await buildResponse({
      attributes: [{ name: 'displayName', values: ['Zoë 🔐\ttab'] }],
    });
    const result = await validateResponse(samlResponse, buildValidateOptions());
    expect(result.attributes.displayName).toEqual(['Zoë 🔐\ttab']);
  });
});

describe('the pre-scans of issue #16 decide as the exact patterns alone did', () => {
  // The check before issue #16 (no pre-scan for a possible illegal character or for "&#"): the oracle.
  const ILLEGAL =
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const legal = (code: number) =>
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  function oracle(xml: string): boolean {
    if (ILLEGAL.test(xml)) return false;
    for (const [, ref] of xml.matchAll(/&#(x[0-9A-Fa-f]+|[0-9]+);/g)) {
      if (!legal(ref!.startsWith('x') ? Number.parseInt(ref!.slice(1), 16) : Number.parseInt(ref!, 10)))
        return false;
    }
    return true;
  }
  const unit = fc.constantFrom(
    'a',
    '<',
    '&',
    '#',
    'x',
    '0',
    '9',
    ';',
    'D',
    '\t',
    '\n',
    '\u0000',
    '\u0001',
    '\ud83d',
    '\udd10',
    '\ufffe',
    '\uffff',
    'é',
  );
  test.prop([fc.string({ unit, maxLength: 40 })], { numRuns: 2000 })(
    'same verdict on generated text',
    (xml) => {
      let accepted = true;
      try {
        assertXmlCharacters(xml, 'test');
      } catch {
        accepted = false;
      }
      expect(accepted).toBe(oracle(xml));
    },
  );
});
