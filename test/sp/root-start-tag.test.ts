import { describe, expect, it } from 'vitest';
import { parseXml } from '../../src/core/xml/parse.ts';
import { rootStartTag, rootStartTagOfBase64 } from '../../src/sp/root-start-tag.ts';

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

describe('rootStartTagOfBase64', () => {
  const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
  const response = `<?xml version="1.0"?>\n<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" InResponseTo="_req1" Note="é>'"><x>${'y'.repeat(20_000)}</x></samlp:Response>`;

  it('reads the start tag from the head of the base64, as the whole decode would', () => {
    expect(rootStartTagOfBase64(b64(response))).toBe(rootStartTag(response));
    // Line-wrapped base64 (some IdPs send it) and a head cut at any length.
    const wrapped = b64(response).replace(/.{76}/g, '$&\r\n');
    expect(rootStartTagOfBase64(wrapped)).toBe(rootStartTag(response));
    for (let cut = 100; cut < 400; cut += 7) {
      expect(rootStartTagOfBase64(b64(response).slice(0, cut))).toBeOneOf([
        undefined,
        rootStartTag(response),
      ]);
    }
  });

  it('leaves raw XML, broken base64 and a tag beyond the head to the strict whole decode', () => {
    expect(rootStartTagOfBase64(response)).toBeUndefined();
    expect(rootStartTagOfBase64(`${b64(response).slice(0, 40)}!!${b64(response).slice(40)}`)).toBeUndefined();
    const longTag = `<samlp:Response a="${'z'.repeat(10_000)}"/>`;
    expect(rootStartTagOfBase64(b64(longTag))).toBeUndefined();
    expect(rootStartTagOfBase64(b64('<!-- c --><a/>'))).toBeUndefined();
  });
});
