/**
 * The character-level rules of canonical XML (C14N 1.0 §2.3, used unchanged by exclusive c14n) and the order
 * it sorts names in. Kept apart from the tree walk (exc-c14n.ts) so that each is small enough to check by eye.
 *
 * Escaping has a fast path: most SAML text and attribute values contain none of the special characters, and
 * a non-global RegExp `test` neither allocates nor keeps state, so such a value is returned as it is.
 */

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;

/** What C14N 1.0 §2.3 writes for each special character of text nodes, by character code. */
const TEXT_ESCAPES = escapeTable({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' });
/** The same for attribute values; `>` is not escaped there. */
const ATTRIBUTE_ESCAPES = escapeTable({
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
});

/** Text and CDATA content: `&` `<` `>` and carriage return escaped (C14N 1.0 §2.3, text nodes). */
export function escapeText(text: string): string {
  return TEXT_SPECIAL.test(text) ? escapeWith(text, TEXT_ESCAPES) : text;
}

/**
 * Attribute values (and namespace declaration values): `&` `<` `"`, tab, line feed and carriage return
 * escaped (C14N 1.0 §2.3, attribute nodes). `>` is not escaped in attribute values.
 */
export function escapeAttributeValue(value: string): string {
  return ATTRIBUTE_SPECIAL.test(value) ? escapeWith(value, ATTRIBUTE_ESCAPES) : value;
}

/** `value` with every character that has an entry in `escapes` (indexed by character code) replaced. */
function escapeWith(value: string, escapes: readonly (string | undefined)[]): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const replacement = escapes[value.charCodeAt(i)];
    if (replacement === undefined) continue;
    out += value.slice(from, i) + replacement;
    from = i + 1;
  }
  return out + value.slice(from);
}

/** A lookup by character code (all the special characters are ASCII) from a character-to-replacement map. */
function escapeTable(replacements: Record<string, string>): readonly (string | undefined)[] {
  const table: (string | undefined)[] = new Array(128).fill(undefined);
  for (const [char, replacement] of Object.entries(replacements)) table[char.charCodeAt(0)] = replacement;
  return table;
}

/**
 * Orders two strings by Unicode code point, as canonical XML sorts namespace URIs, local names and prefixes
 * (libxml2 compares their UTF-8 bytes, which is the same order). JavaScript's `<` compares UTF-16 code units,
 * which differs only between a surrogate pair (U+10000 and above) and U+E000–U+FFFF; `localeCompare` differs
 * far more (case, punctuation) and is never used.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Move the surrogates (D800–DFFF) above E000–FFFF, where the code points they encode belong.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
