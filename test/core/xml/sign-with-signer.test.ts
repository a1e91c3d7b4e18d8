/**
 * Signing through a Signer (issue #15 item 2): the async functions hand only the canonical SignedInfo (or the
 * redirect octets) to the signer. RSA PKCS#1 v1.5 is deterministic, so with the PEM signer they must produce
 * byte-for-byte what the in-process functions produce; xmlsec1 verifies a POST-binding message signed
 * after <Issuer>, and a signer that signs something else is caught.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pemSigner, type Signer } from '../../../src/core/crypto/signer.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import {
  signRedirectQuery,
  signRedirectQueryWith,
  signXml,
  signXmlWith,
} from '../../../src/core/xml/sign.ts';
import { xmlsecVerify } from '../xmlsec.ts';

const key = (name: string) => readFileSync(new URL(`../../fixtures/keys/${name}`, import.meta.url), 'utf8');
const sp = { privateKeyPem: key('sp.key.pem'), certificatePem: key('sp.cert.pem') };

const request = () =>
  `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="_req1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`;

describe('signXmlWith', () => {
  it('produces exactly what signXml produces, with the key behind a Signer', async () => {
    const options = {
      certificatePem: sp.certificatePem,
      referenceId: '_req1',
      insertAfter: { ns: NS.assertion, localName: 'Issuer' },
    };
    const seen: Buffer[] = [];
    const inner = pemSigner(sp.privateKeyPem);
    const signer: Signer = {
      sign: async (data, algorithm) => {
        seen.push(Buffer.from(data));
        return inner.sign(data, algorithm);
      },
    };
    const async = await signXmlWith(request(), { ...options, signer });
    expect(async).toBe(signXml(request(), { ...options, privateKeyPem: sp.privateKeyPem }));
    // The signer saw the canonical SignedInfo only, never the document.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.toString()).toMatch(
      /^<ds:SignedInfo xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/,
    );
    expect(seen[0]!.toString()).not.toContain('AuthnRequest');
    const verified = await xmlsecVerify(
      async,
      sp.certificatePem,
      'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest',
    );
    expect(verified.ok, verified.output).toBe(true);
  });

  it('signs with SHA-512 when asked, and xmlsec1 refuses a signature made over other bytes', async () => {
    const inner = pemSigner(sp.privateKeyPem);
    const options = {
      certificatePem: sp.certificatePem,
      referenceId: '_req1',
      algorithm: 'rsa-sha512' as const,
    };
    const good = await signXmlWith(request(), { ...options, signer: inner });
    expect(good).toContain('xmldsig-more#rsa-sha512');
    const ok = await xmlsecVerify(
      good,
      sp.certificatePem,
      'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest',
    );
    expect(ok.ok, ok.output).toBe(true);
    const liar: Signer = { sign: (_data, algorithm) => inner.sign(Buffer.from('something else'), algorithm) };
    const bad = await signXmlWith(request(), { ...options, signer: liar });
    expect(
      (await xmlsecVerify(bad, sp.certificatePem, 'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest')).ok,
    ).toBe(false);
  });

  it('passes a signer failure through as the rejection', async () => {
    const down: Signer = { sign: async () => Promise.reject(new Error('KMS down')) };
    await expect(
      signXmlWith(request(), { certificatePem: sp.certificatePem, referenceId: '_req1', signer: down }),
    ).rejects.toThrow('KMS down');
  });
});

describe('signRedirectQueryWith', () => {
  it('produces exactly what signRedirectQuery produces', async () => {
    const params = { key: 'SAMLRequest' as const, value: 'fZBBT4Qw', relayState: '/after?x=1' };
    const async = await signRedirectQueryWith({ ...params, signer: pemSigner(sp.privateKeyPem) });
    expect(async).toBe(signRedirectQuery({ ...params, privateKeyPem: sp.privateKeyPem }));
  });
});
