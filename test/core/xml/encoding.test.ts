import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeAndInflate, deflateAndEncode } from '../../../src/core/xml/encoding.ts';

describe('redirect-binding encoding', () => {
  const xml =
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a">é</samlp:AuthnRequest>';

  it('round-trips raw DEFLATE + base64 (no zlib header)', () => {
    const encoded = deflateAndEncode(xml);
    // A zlib header would start the stream with 0x78.
    expect(Buffer.from(encoded, 'base64')[0]).not.toBe(0x78);
    expect(decodeAndInflate(encoded)).toBe(xml);
  });

  it('stops a deflate bomb at the output limit', () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => decodeAndInflate(bomb, { maxBytes: 64 * 1024 })).toThrow(
      expect.objectContaining({ code: 'SAML_MESSAGE_TOO_LARGE' }),
    );
  });

  it('accepts a message right at the limit', () => {
    const exact = 'a'.repeat(1000);
    expect(decodeAndInflate(deflateAndEncode(exact), { maxBytes: 1000 })).toBe(exact);
    expect(() => decodeAndInflate(deflateAndEncode(exact), { maxBytes: 999 })).toThrow(
      expect.objectContaining({ code: 'SAML_MESSAGE_TOO_LARGE' }),
    );
  });

  it('refuses over-long input before decoding it', () => {
    expect(() => decodeAndInflate('A'.repeat(20_000), { maxBytes: 1000 })).toThrow(
      expect.objectContaining({ code: 'SAML_MESSAGE_TOO_LARGE' }),
    );
  });

  it('refuses non-base64 and non-deflate input', () => {
    expect(() => decodeAndInflate('%%%')).toThrow(expect.objectContaining({ code: 'SAML_MALFORMED' }));
    expect(() => decodeAndInflate('')).toThrow(expect.objectContaining({ code: 'SAML_MALFORMED' }));
    // Plain base64 XML (a POST-binding value put on a redirect URL) is not deflate data.
    const plain = Buffer.from(`<x>${'y'.repeat(40)}</x>`).toString('base64');
    expect(() => decodeAndInflate(plain)).toThrow(expect.objectContaining({ code: 'SAML_MALFORMED' }));
  });
});
