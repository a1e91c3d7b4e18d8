/**
 * XML signature wrapping (XSW): a valid signature is kept while the content the SP reads is replaced.
 *
 * The validator defeats these twice over: structure.ts refuses the extra copies every variant needs, and
 * signature.ts reads only the signed bytes. The first block runs the classic variants (Somorovsky et al.,
 * "On Breaking SAML", 2012) end to end; the second calls the signature step directly on wrapped documents
 * to show that it alone never lets unsigned content through.
 */
import { DOMParser, type Element, XMLSerializer } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { trustedCertificate } from '../../../src/core/crypto/key-cache.ts';
import { verifyEnvelopedSignature } from '../../../src/core/response/signature.ts';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import {
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  testKey,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const SIGNED_ID = '_assert-2b8e4f6a0c1d3e5f7a9b';

/** Parses XML, lets `edit` rearrange it, serialises it again. */
function rewrite(xml: string, edit: (doc: ReturnType<DOMParser['parseFromString']>) => void): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  edit(doc);
  return new XMLSerializer().serializeToString(doc);
}

function first(
  parent: { getElementsByTagNameNS(ns: string, name: string): { item(i: number): Element | null } },
  ns: string,
  name: string,
): Element {
  const el = parent.getElementsByTagNameNS(ns, name).item(0);
  if (!el) throw new Error(`no ${name}`);
  return el;
}

/** An unsigned copy of the signed assertion, with another ID and the attacker's NameID. */
function evilCopy(assertion: Element, id = '_evil'): Element {
  const evil = assertion.cloneNode(true) as Element;
  evil.setAttribute('ID', id);
  const signature = first(evil, NS.dsig, 'Signature');
  evil.removeChild(signature);
  first(evil, NS.assertion, 'NameID').textContent = 'admin@example.com';
  return evil;
}

describe('XSW variants are refused', () => {
  it('XSW: an unsigned assertion inserted before the signed one', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      signed.parentNode!.insertBefore(evilCopy(signed), signed);
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('XSW: an unsigned assertion appended after the signed one', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      signed.parentNode!.appendChild(evilCopy(signed));
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('XSW: the signed assertion moved into samlp:Extensions, an evil one in its place', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const response = doc.documentElement!;
      const signed = first(doc, NS.assertion, 'Assertion');
      const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
      response.insertBefore(extensions, first(doc, NS.protocol, 'Status'));
      response.replaceChild(evilCopy(signed), signed);
      extensions.appendChild(signed);
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('XSW: the evil assertion reuses the signed ID (duplicate IDs)', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const response = doc.documentElement!;
      const signed = first(doc, NS.assertion, 'Assertion');
      const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
      response.insertBefore(extensions, first(doc, NS.protocol, 'Status'));
      response.replaceChild(evilCopy(signed, SIGNED_ID), signed);
      extensions.appendChild(signed);
    });
    const error = await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
    expect(error.details).toMatchObject({ id: SIGNED_ID });
  });

  it('XSW: the signed assertion hidden in the ds:Object of a signature moved onto the evil one', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      const evil = evilCopy(signed);
      const signature = first(signed, NS.dsig, 'Signature');
      signed.removeChild(signature);
      const object = doc.createElementNS(NS.dsig, 'ds:Object');
      signature.appendChild(object);
      evil.insertBefore(signature, first(evil, NS.assertion, 'Subject'));
      signed.parentNode!.replaceChild(evil, signed);
      object.appendChild(signed);
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('XSW: the signed assertion nested in the evil assertion (Advice)', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      const evil = evilCopy(signed);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      evil.appendChild(advice);
      signed.parentNode!.replaceChild(evil, signed);
      advice.appendChild(signed);
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('XSW: a signed Response wrapped inside an evil Response', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const original = await buildResponseXml({ sign: 'response' });
    const xml = rewrite(original, (doc) => {
      const signedResponse = doc.documentElement!;
      const evil = signedResponse.cloneNode(true) as Element;
      evil.setAttribute('ID', '_evil-response');
      first(evil, NS.assertion, 'NameID').textContent = 'admin@example.com';
      // The original signature stays on the evil root; the original Response goes into Extensions.
      const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
      const originalSignature = first(signedResponse, NS.dsig, 'Signature');
      signedResponse.removeChild(originalSignature);
      evil.removeChild(first(evil, NS.dsig, 'Signature'));
      evil.insertBefore(originalSignature, first(evil, NS.protocol, 'Status'));
      evil.insertBefore(extensions, first(evil, NS.protocol, 'Status'));
      doc.replaceChild(evil, signedResponse);
      extensions.appendChild(signedResponse);
    });
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID', options);
  });

  it('XSW: the signature moved onto an evil assertion that replaces the signed one', async () => {
    // Only one assertion remains, so the structure check passes: the Reference check must catch it.
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      const evil = evilCopy(signed);
      evil.insertBefore(first(signed, NS.dsig, 'Signature'), first(evil, NS.assertion, 'Subject'));
      signed.parentNode!.replaceChild(evil, signed);
    });
    const error = await expectRejected(encodeResponse(xml), 'SAML_SIGNATURE_INVALID');
    // Caught by the Reference check, before any cryptography (the digest would also fail).
    expect(error.details).toMatchObject({ referenceUri: `#${SIGNED_ID}`, elementId: '_evil' });
  });

  it('c14n comment truncation: a comment in the NameID does not shorten what is read', async () => {
    // The attacker owns alice@example.com.evil.test and inserts a comment so a naive reader sees alice@example.com.
    const xml = (await buildResponseXml({ nameId: 'alice@example.com.evil.test' })).replace(
      'alice@example.com.evil.test</saml:NameID>',
      'alice@example.com<!---->.evil.test</saml:NameID>',
    );
    const result = await validateResponse(encodeResponse(xml), buildValidateOptions());
    expect(result.nameId.value).toBe('alice@example.com.evil.test');
  });

  it('c14n comment truncation in an attribute value, under a Response-only signature', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const xml = (await buildResponseXml({ sign: 'response' })).replace('>admins<', '>adm<!-- -->ins<');
    const result = await validateResponse(encodeResponse(xml), options);
    expect(result.attributes.groups).toEqual(['engineering', 'admins']);
  });
});

describe('the signature step alone reads only signed bytes', () => {
  const certificates = [trustedCertificate(testKey('idp').certPem)];
  /** The verifier alone on `assertion`'s own enveloped signature, under the default algorithm policy. */
  const verifyAssertion = (assertion: Element) =>
    verifyEnvelopedSignature(first(assertion, NS.dsig, 'Signature'), {
      element: assertion,
      what: 'Assertion',
      certificates,
      allowSha1: false,
    });

  it('returns the signed assertion, not the evil one wrapped around it', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      const evil = evilCopy(signed);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      evil.appendChild(advice);
      signed.parentNode!.replaceChild(evil, signed);
      advice.appendChild(signed);
    });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const assertions = doc.getElementsByTagNameNS(NS.assertion, 'Assertion');
    const evil = assertions.item(0)!;
    const nested = assertions.item(1)!;
    expect(evil.getAttribute('ID')).toBe('_evil');

    // The nested (genuine) assertion verifies, and what comes back is its own content only.
    const verified = verifyAssertion(nested);
    expect(verified.signed.getAttribute('ID')).toBe(SIGNED_ID);
    expect(first(verified.signed, NS.assertion, 'NameID').textContent).toBe('alice@example.com');
    expect(verified.signed.getElementsByTagNameNS(NS.assertion, 'Advice').length).toBe(0);
  });

  it('refuses a genuine signature presented as the evil assertion`s', async () => {
    const xml = rewrite(await buildResponseXml(), (doc) => {
      const signed = first(doc, NS.assertion, 'Assertion');
      const evil = evilCopy(signed);
      evil.insertBefore(first(signed, NS.dsig, 'Signature'), first(evil, NS.assertion, 'Subject'));
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      evil.appendChild(advice);
      signed.parentNode!.replaceChild(evil, signed);
      advice.appendChild(signed);
    });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const evil = doc.getElementsByTagNameNS(NS.assertion, 'Assertion').item(0)!;
    expect(() => verifyAssertion(evil)).toThrow(expect.objectContaining({ code: 'SAML_SIGNATURE_INVALID' }));
  });

  it('strips a comment from the signed bytes', async () => {
    const xml = (await buildResponseXml()).replace(
      '>alice@example.com</saml:NameID>',
      '>alice@example.com<!--x--></saml:NameID>',
    );
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const assertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion').item(0)!;
    const verified = verifyAssertion(assertion);
    const nameId = first(verified.signed, NS.assertion, 'NameID');
    expect(nameId.childNodes.length).toBe(1);
    expect(new XMLSerializer().serializeToString(verified.signed)).not.toContain('<!--');
  });

  // Found by test/fuzz/xmlsec-differential.test.ts: the verifier alone accepted an unknown element before
  // SignedInfo (schema-shape refuses it in a response, but logout messages and metadata use the verifier too).
  it.each([
    ['an unknown element before SignedInfo', '<ds:Signature$1><x:d xmlns:x="urn:x"/>'],
    ['a second SignedInfo', '<ds:Signature$1><ds:SignedInfo/>'],
    ['KeyInfo before SignatureValue', '<ds:Signature$1><ds:KeyInfo/>'],
  ])('refuses a Signature whose children are out of the XMLDSig order: %s', async (_name, replacement) => {
    const xml = (await buildResponseXml()).replace(/<ds:Signature([^>]*)>/, replacement);
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const assertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion').item(0)!;
    expect(() => verifyAssertion(assertion)).toThrow(
      expect.objectContaining({ code: 'SAML_STRUCTURE_INVALID' }),
    );
  });
});
