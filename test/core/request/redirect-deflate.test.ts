/**
 * The Redirect binding's deflate (src/core/xml/encoding.ts): a zlib state sized to the message, and for a
 * message shape seen before, the text around the root's ID..IssueInstant span deflated once and reused, the
 * span stored (issue #16). Every output must inflate to the message exactly, through zlib and through fflate
 * (an independent, pure JavaScript inflater).
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { inflateSync as fflateInflate } from 'fflate';
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

  it("a new shape: no longer than zlib's default; a repeated one: at most the stored span longer", () => {
    const fresh = request(
      `<saml:Subject><saml:NameID>${randomBytes(8).toString('hex')}</saml:NameID></saml:Subject>`,
    );
    expect(Buffer.from(deflateAndEncode(fresh), 'base64').length).toBeLessThanOrEqual(
      deflateRawSync(Buffer.from(fresh)).length,
    );
    for (let i = 0; i < 20; i++) {
      const xml = request();
      const ours = Buffer.from(deflateAndEncode(xml), 'base64');
      // The span (ID value to IssueInstant value, 79 bytes here) is stored: a few dozen bytes more.
      expect(ours.length).toBeLessThanOrEqual(deflateRawSync(Buffer.from(xml)).length + 64);
      if (i >= 2)
        expect(
          ours.includes(Buffer.from(xml.slice(xml.indexOf(' ID="') + 5, xml.indexOf('" Version')))),
        ).toBe(true);
    }
  });
});

describe('deflateAndEncode, repeated shapes', () => {
  const inflateBoth = (value: string) => {
    const bytes = Buffer.from(value, 'base64');
    const zlib = inflateRawSync(bytes).toString('utf8');
    expect(Buffer.from(fflateInflate(bytes)).toString('utf8')).toBe(zlib);
    return zlib;
  };
  const shaped = (id: string, instant: string, tail: string) =>
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${id}" Version="2.0" IssueInstant="${instant}" Destination="https://idp.example.com/slo?a=1&amp;b=ü">${tail}</samlp:LogoutRequest>`;

  it('inflates exactly, through two inflaters, for many messages of a few shapes (first, second, later)', () => {
    const tails = [
      '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.com/metadata</saml:Issuer>',
      '<x>日本語 and "quotes" and ID="_fake" IssueInstant="not-this"</x>',
      '',
      'x'.repeat(5000),
    ];
    for (let i = 0; i < 400; i++) {
      const xml = shaped(
        `_${randomBytes(20).toString('hex')}`,
        new Date(1_800_000_000_000 + i * 997).toISOString(),
        tails[i % tails.length]!,
      );
      expect(inflateBoth(deflateAndEncode(xml))).toBe(xml);
    }
  });

  it('spans of another length, unicode in the span, and messages it leaves whole', () => {
    for (const id of ['_a', `_${'é'.repeat(30)}`, `_${randomBytes(40).toString('hex')}`, '']) {
      for (let i = 0; i < 3; i++) {
        const xml = shaped(id, `2026-12-03T0${i}:00:00Z`, '<b/>');
        expect(inflateBoth(deflateAndEncode(xml))).toBe(xml);
      }
    }
    const whole = [
      '<?xml version="1.0"?><r ID="_1" IssueInstant="2026-01-01T00:00:00Z"/>', // the declaration ends first
      '<r IssueInstant="2026-01-01T00:00:00Z" ID="_1"/>', // the other order
      '<r ID="_1" IssueInstant="2026-01-01T00:00:00Z">\u0000</r>', // a zero byte
      `<r ID="_1" IssueInstant="2026-01-01T00:00:00Z">${'y'.repeat(20_000)}</r>`, // large
      '<r ID="_1"/>',
    ];
    for (const xml of whole) for (let i = 0; i < 3; i++) expect(inflateBoth(deflateAndEncode(xml))).toBe(xml);
  });
});
