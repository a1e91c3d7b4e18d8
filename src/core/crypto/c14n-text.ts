/**
 * The character-level rules of canonical XML (C14N 1.0 §2.3, used unchanged by exclusive c14n) and the order
 * it sorts names in. Kept apart from the tree walk (exc-c14n.ts) so that each is small enough to check by eye.
 *
 * Escaping has a fast path: most SAML text and attribute values contain none of the special characters, and
 * a non-global RegExp `test` neither allocates nor keeps state, so such a value is returned as it is.
 */

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;

/** Text and CDATA content: `&` `<` `>` and carriage return escaped (C14N 1.0 §2.3, text nodes). */
export function escapeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    let replacement: string;
    switch (text.charCodeAt(i)) {
      case 0x26:
        replacement = '&amp;';
        break;
      case 0x3c:
        replacement = '&lt;';
        break;
      case 0x3e:
        replacement = '&gt;';
        break;
      case 0x0d:
        replacement = '&#xD;';
        break;
      default:
        continue;
    }
    out += text.slice(from, i) + replacement;
    from = i + 1;
  }
  return out + text.slice(from);
}

/**
 * Attribute values (and namespace declaration values): `&` `<` `"`, tab, line feed and carriage return
 * escaped (C14N 1.0 §2.3, attribute nodes). `>` is not escaped in attribute values.
 */
export function escapeAttributeValue(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    let replacement: string;
    switch (value.charCodeAt(i)) {
      case 0x26:
        replacement = '&amp;';
        break;
      case 0x3c:
        replacement = '&lt;';
        break;
      case 0x22:
        replacement = '&quot;';
        break;
      case 0x09:
        replacement = '&#x9;';
        break;
      case 0x0a:
        replacement = '&#xA;';
        break;
      case 0x0d:
        replacement = '&#xD;';
        break;
      default:
        continue;
    }
    out += value.slice(from, i) + replacement;
    from = i + 1;
  }
  return out + value.slice(from);
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
