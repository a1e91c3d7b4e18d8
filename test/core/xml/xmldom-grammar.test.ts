/**
 * xmldom's end-tag RegExp, memoised from our side (src/core/xml/xmldom-grammar.ts, issue #16): the same
 * expressions are handed out again, nothing else is cached, and end tags are judged exactly as before.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/core/xml/parse.ts';
import { memoizeXmldomGrammar } from '../../../src/core/xml/xmldom-grammar.ts';

const grammar = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as {
  reg: (...parts: (string | RegExp)[]) => RegExp;
  QName_group: RegExp;
  S_OPT: RegExp;
};

describe('xmldom grammar memo', () => {
  it('is installed by importing the parser', () => {
    expect(memoizeXmldomGrammar()).toBe(true);
  });

  it('returns one stateless RegExp for the end-tag pattern, built from the grammar alone', () => {
    const a = grammar.reg('^', grammar.QName_group, grammar.S_OPT, '$');
    const b = grammar.reg('^', grammar.QName_group, grammar.S_OPT, '$');
    expect(a).toBe(b);
    expect(a.global || a.sticky).toBe(false);
    expect(a.exec('saml:Assertion ')?.[1]).toBe('saml:Assertion');
  });

  it('does not cache expressions built from a foreign RegExp (the cache stays bounded)', () => {
    const foreign = /x/;
    expect(grammar.reg('^', foreign)).not.toBe(grammar.reg('^', foreign));
  });

  it('judges end tags as xmldom does', () => {
    expect(parseXml('<a><b>t</b ></a>').documentElement!.firstChild!.textContent).toBe('t');
    for (const bad of ['<a></b>', '<a></a b>', '<a></a', '<a><b></a></b>', '<a></a\nx>']) {
      expect(() => parseXml(bad), bad).toThrow(expect.objectContaining({ code: 'SAML_MALFORMED' }));
    }
  });
});
