/**
 * Characters XML 1.0 does not allow (issue #9, item 10: found by the fuzzer's differential check against
 * xmlsec1, whose libxml2 refuses such documents while xmldom parsed them).
 */
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
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
