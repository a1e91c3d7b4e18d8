/**
 * XML 1.0 allows only some characters in a document (production [2] Char): no NUL, no C0 controls other
 * than tab, LF and CR, no lone surrogates, no U+FFFE/U+FFFF, whether written literally or as a character
 * reference. xmldom accepts them all; libxml2 (xmlsec1, Shibboleth) refuses the document. The fuzzer's
 * differential check against xmlsec1 found the difference (issue #9, item 10): a SAML message is refused here
 * as it would be by any conforming parser, so that no NUL or control character reaches an application.
 */
import { SamlSpError } from '../errors.ts';

// Literal characters outside Char: C0 controls but tab/LF/CR, U+FFFE, U+FFFF, and unpaired surrogates.
const ILLEGAL_LITERAL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const REFERENCE = /&#(x[0-9A-Fa-f]+|[0-9]+);/g;
// A superset of ILLEGAL_LITERAL without lookarounds (every surrogate, paired or not): one plain character
// class scan, which irregexp runs several times faster; the exact pattern only runs when this one matches
// (issue #16). Documents with no illegal character and no surrogate, nearly all of them, stop here.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const MAYBE_ILLEGAL_LITERAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

/** XML 1.0 production [2] Char, for a code point (a character reference's, or a literal's). */
export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Throws SAML_MALFORMED when the text holds a character XML 1.0 does not allow, literally or as a character
 * reference.
 *
 * @example
 * ```ts
 * assertXmlCharacters('<a>&#0;</a>', 'SAML response'); // throws SAML_MALFORMED
 * ```
 */
export function assertXmlCharacters(xml: string, what: string): void {
  let problem: string | undefined;
  const literal = MAYBE_ILLEGAL_LITERAL.test(xml) ? ILLEGAL_LITERAL.exec(xml) : null;
  if (literal) {
    problem = `the character U+${literal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  } else if (xml.includes('&#')) {
    for (const [, ref] of xml.matchAll(REFERENCE)) {
      const code = ref!.startsWith('x') ? Number.parseInt(ref!.slice(1), 16) : Number.parseInt(ref!, 10);
      if (!isXmlChar(code)) {
        problem = `the character reference &#${ref};`;
        break;
      }
    }
  }
  if (problem !== undefined) {
    throw new SamlSpError('SAML_MALFORMED', `The ${what} is not well-formed XML: it contains ${problem}.`, {
      hint: 'XML 1.0 does not allow NUL, most control characters or unpaired surrogates. A genuine IdP never sends them; the message was altered.',
    });
  }
}
