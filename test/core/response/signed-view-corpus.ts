/**
 * The attack corpus of the signed-element tests: genuine fixtures, edits exclusive c14n does not see, and
 * structural edits that break the signature. Shared by the signed-view proof (signed-view.test.ts) and the
 * canonicaliser's differential test (test/core/crypto/exc-c14n.differential.test.ts).
 */

/** Edits exclusive c14n does not see: the signature still verifies after any of them. */
export const INVISIBLE: Record<string, (xml: string) => string> = {
  'a comment truncating the NameID (the signed name is alice@example.com.evil.test)': (x) =>
    x.replace('.evil.test</saml:NameID>', '<!---->.evil.test</saml:NameID>'),
  'a comment inside the NameID (c14n drops it, the text joins)': (x) =>
    x.replace('>alice@example.com<', '>alice@<!-- x -->example.com<'),
  'the NameID as CDATA': (x) => x.replace('>alice@example.com<', '><![CDATA[alice@example.com]]><'),
  'the NameID as text, CDATA and text around a comment': (x) =>
    x.replace('>alice@example.com<', '>al<![CDATA[ice@]]><!--c-->exam<!---->ple.com<'),
  'an empty comment between elements': (x) => x.replace('</saml:Issuer>', '</saml:Issuer><!---->'),
  'comments between every element': (x) => x.replace(/></g, '><!--between--><'),
  'comments inside SignedInfo and the DigestValue': (x) =>
    x
      .replace('<ds:SignedInfo>', '<ds:SignedInfo><!--si-->')
      .replace(/<ds:DigestValue>([A-Za-z0-9+/]{8})/g, '<ds:DigestValue>$1<!--split-->'),
  'an attribute value as character references': (x) => x.replace('>engineering<', '>&#101;ngin&#x65;ering<'),
  'an attribute value as entity references': (x) => x.replace('>admins<', '>&#x61;dmins<'),
};

export const FIXTURES = {
  'assertion signed': {},
  'assertion signed for alice@example.com.evil.test': { nameId: 'alice@example.com.evil.test' },
  'response signed': { sign: 'response' as const },
  'both signed': { sign: 'both' as const },
  'hostile values signed as such': {
    nameId: 'a&b<c>"d\'\te\r\nf]]>g',
    attributes: [
      { name: 'q"uote', values: ['\t tab\r\n', '&amp;', ''] },
      { name: 'typed', values: [{ value: '42', type: 'xs:integer' }, { nil: true as const }] },
    ],
  },
};

/** Structural edits that break the signature but must still not break the view's equality. */
export const STRUCTURAL: Record<string, (xml: string) => string> = {
  'character references for CR, tab and LF in a value': (x) =>
    x.replace('>engineering<', '>engineering&#xD;&#9;&#10;<'),
  'escaped markup in a value': (x) => x.replace('>admins<', '>a&amp;b &lt;c&gt; "d" \'e\' ]]&gt;<'),
  'CRLF line ends between elements': (x) => x.replace(/></g, '>\r\n<'),
  'an empty CDATA (xml-crypto refuses it)': (x) => x.replace('</saml:Issuer>', '</saml:Issuer><![CDATA[]]>'),
  'a default namespace undeclared inside the assertion': (x) =>
    x.replace('</saml:Issuer>', '</saml:Issuer><x xmlns="urn:x"><y xmlns=""><z>t</z></y></x>'),
  'a prefix re-declared to another namespace below': (x) =>
    x.replace('</saml:Issuer>', '</saml:Issuer><saml:Advice xmlns:saml="urn:other"><saml:A/></saml:Advice>'),
  'xml:lang and xsi attributes': (x) =>
    x.replace(
      '<saml:Subject>',
      '<saml:Subject xml:lang="en" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="q">',
    ),
  'an unused namespace declaration on the signed element': (x) =>
    x.replace('<saml:Assertion ', '<saml:Assertion xmlns:unused="urn:unused" '),
  'an evil assertion wrapped around the signed one (XSW Advice)': (x) =>
    x.replace(
      /(<saml:Assertion[\s\S]*<\/saml:Assertion>)/,
      '<saml:Assertion ID="_evil" Version="2.0"><saml:Advice>$1</saml:Advice><saml:NameID>admin</saml:NameID></saml:Assertion>',
    ),
  'the signed assertion duplicated (XSW sibling)': (x) =>
    x.replace(/(<saml:Assertion[\s\S]*<\/saml:Assertion>)/, '$1$1'),
  'a signature moved into ds:Object': (x) =>
    x.replace(
      /(<ds:Signature[\s\S]*?)(<\/ds:Signature>)/,
      '$1<ds:Object><saml:NameID>x</saml:NameID></ds:Object>$2',
    ),
};
