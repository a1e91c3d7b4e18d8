import { describe, expect, it } from 'vitest';
import { parseXml } from '../../src/core/xml/parse.ts';
import { rootStartTag } from '../../src/sp/root-start-tag.ts';

/** The root's attributes as the strict parser reads them, from the whole document and from the tag alone. */
function attributesBothWays(xml: string): [Record<string, string>, Record<string, string>] {
  const read = (doc: string) => {
    const root = parseXml(doc, { maxBytes: 1 << 20, what: 'test' }).documentElement;
    const out: Record<string, string> = {};
    for (const a of Array.from(root?.attributes ?? [])) out[a.name] = a.value;
    return out;
  };
  const tag = rootStartTag(xml);
  if (tag === undefined) throw new Error('no root start tag');
  return [read(xml), read(tag)];
}

describe('rootStartTag', () => {
  it('reads what the whole parse reads: BOM, XML declaration, quotes holding > and the other quote', () => {
    const docs = [
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_q"><x/></samlp:Response>',
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n <a InResponseTo=\'a"b>c\' b="1&gt;2"><a/></a>',
      '<a\n\tInResponseTo = "x>y"\n/>',
    ];
    for (const doc of docs) {
      const [whole, tagOnly] = attributesBothWays(doc);
      expect(tagOnly).toEqual(whole);
    }
  });

  it('leaves unusual documents to the whole parse (comments, PIs, DOCTYPE, unterminated tags)', () => {
    expect(rootStartTag('<!-- c --><a b="1"/>')).toBeUndefined();
    expect(rootStartTag('<?xml version="1.0"?><?pi x?><a b="1"/>')).toBeUndefined();
    expect(rootStartTag('<!DOCTYPE a [<!ENTITY e "x">]><a b="&e;"/>')).toBeUndefined();
    expect(rootStartTag('<a b="x>')).toBeUndefined();
    expect(rootStartTag('<?xml version="1.0"')).toBeUndefined();
    expect(rootStartTag('<!-- never closed <a/>')).toBeUndefined();
    expect(rootStartTag('not xml')).toBeUndefined();
    expect(rootStartTag('</a>')).toBeUndefined();
  });
});
