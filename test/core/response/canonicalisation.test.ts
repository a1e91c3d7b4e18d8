/**
 * Regressions found by the fuzzer (issue #9, item 10): what xml-crypto's canonicaliser cannot render right
 * must end as a coded refusal, neither as an exception escaping the validator (a 500 over HTTP) nor as a
 * verdict that another XML-DSig implementation would not reach. Before the fix:
 * - a processing instruction without data inside a signed assertion threw a plain Error ("Unable to exclusive
 *   canonicalize node type: 7");
 * - one with data was canonicalised as text, so `alice@exa<?x mple.com?>` verified against the signature of
 *   `alice@example.com` (xmlsec1 refuses it; we read the signed bytes, so the identity stayed the genuine one);
 * - deep nesting inside a signed element threw a RangeError (stack overflow); it was refused with a code until
 *   our own canonicaliser (issue #16), which walks iteratively, replaced xml-crypto's.
 */
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { canonicalizeExclusive } from '../../../src/core/crypto/exc-c14n.ts';
import { SamlSpError } from '../../../src/core/errors.ts';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { buildResponse, buildValidateOptions } from '../../fixtures/build-response.ts';

function refusalOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('canonicalisation failures are refusals', () => {
  it('refuses a processing instruction inside the element being canonicalised', () => {
    const doc = new DOMParser().parseFromString('<a><b>x<?pi?>y</b></a>', 'text/xml');
    expect(refusalOf(() => canonicalizeExclusive(doc.documentElement!))).toMatchObject({
      name: 'SamlSpError',
      code: 'SAML_STRUCTURE_INVALID',
    });
  });

  it('refuses a processing instruction with data, which xml-crypto would render as text', () => {
    const doc = new DOMParser().parseFromString('<a><b>x<?pi data?>y</b></a>', 'text/xml');
    expect(refusalOf(() => canonicalizeExclusive(doc.documentElement!))).toMatchObject({
      name: 'SamlSpError',
      code: 'SAML_STRUCTURE_INVALID',
    });
  });

  // Since issue #16 the canonicaliser is ours and iterative: hostile depth no longer overflows it, so deep
  // nesting is canonicalised (the parser's depth cap refuses it first on every real path, as below).
  it('canonicalises nesting that overflowed the recursive canonicaliser, without recursion', () => {
    const depth = 30_000;
    const doc = new DOMParser().parseFromString(
      `<a>${'<d>'.repeat(depth)}x${'</d>'.repeat(depth)}</a>`,
      'text/xml',
    );
    expect(canonicalizeExclusive(doc.documentElement!)).toBe(
      `<a>${'<d>'.repeat(depth)}x${'</d>'.repeat(depth)}</a>`,
    );
  });

  // Through the public entry point. The parser refuses processing instructions and deep nesting before any
  // signature is checked once issue #9 item 3 lands (its own codes); either refusal is right, an escape or an
  // acceptance never is.
  const PARSER_OR_CANONICALISER = [
    'SAML_STRUCTURE_INVALID',
    'SAML_MALFORMED',
    'SAML_PROCESSING_INSTRUCTION_FORBIDDEN',
    'SAML_XML_TOO_DEEP',
  ];
  it('validateResponse refuses a processing instruction inside the signed assertion with a code', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) => xml.replace('<saml:Subject>', '<saml:Subject><?fuzz?>'),
    });
    const error = await validateResponse(samlResponse, buildValidateOptions()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SamlSpError);
    expect(PARSER_OR_CANONICALISER).toContain((error as SamlSpError).code);
  });

  it('validateResponse refuses a signed NameID split by a processing instruction that carries its tail', async () => {
    const samlResponse = await buildResponse({
      tamper: (xml) =>
        xml.replace('>alice@example.com</saml:NameID>', '>alice@exa<?fuzz mple.com?></saml:NameID>'),
    });
    const error = await validateResponse(samlResponse, buildValidateOptions()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SamlSpError);
    expect(PARSER_OR_CANONICALISER).toContain((error as SamlSpError).code);
  });

  it('validateResponse refuses 30,000 nested elements inside SignedInfo with a code', async () => {
    const depth = 30_000;
    const samlResponse = await buildResponse({
      tamper: (xml) =>
        xml.replace('<ds:SignedInfo>', `<ds:SignedInfo>${'<d>'.repeat(depth)}${'</d>'.repeat(depth)}`),
    });
    const error = await validateResponse(samlResponse, buildValidateOptions()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SamlSpError);
    expect(PARSER_OR_CANONICALISER).toContain((error as SamlSpError).code);
  });
});
