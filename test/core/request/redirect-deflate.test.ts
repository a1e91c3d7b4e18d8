/** The Redirect binding's deflate with a zlib state sized to the message (src/core/request/bindings.ts). */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeAndInflate, deflateAndEncode } from '../../../src/core/xml/encoding.ts';

const request = (extra = '') =>
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="2026-12-02T21:00:00.000Z" Destination="https://idp.example.com/sso" AssertionConsumerServiceURL="https://sp.example.com/saml/acme/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>https://sp.example.com/saml/acme/metadata</saml:Issuer>${extra}<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/></samlp:AuthnRequest>`;

describe('deflateAndEncode', () => {
  it.each([
    ['a typical AuthnRequest', request()],
    [
      'one with a long subject (2 KiB)',
      request(`<saml:Subject><saml:NameID>${'é'.repeat(1000)}</saml:NameID></saml:Subject>`),
    ],
    ['a large message (300 KiB of varied text)', request(randomBytes(150_000).toString('hex'))],
    ['an empty string', ''],
  ])('round-trips %s through any raw inflater', (_name, xml) => {
    const value = deflateAndEncode(xml);
    expect(inflateRawSync(Buffer.from(value, 'base64')).toString('utf8')).toBe(xml);
    if (xml) expect(decodeAndInflate(value, { maxBytes: 1_000_000 })).toBe(xml);
  });

  it("is no longer than zlib's default for a message that fits its window", () => {
    for (let i = 0; i < 20; i++) {
      const xml = request();
      const ours = Buffer.from(deflateAndEncode(xml), 'base64').length;
      expect(ours).toBeLessThanOrEqual(deflateRawSync(Buffer.from(xml)).length);
    }
  });
});
