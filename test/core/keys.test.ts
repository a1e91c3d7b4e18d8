import { createHash, createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateBase64,
  describeCertificate,
  generateKeyPair,
  normalizeCertificatePem,
} from '../../src/core/keys.ts';
import type { KeyPair } from '../../src/core/types.ts';
import { testKeyPair } from './sp-fixtures.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
// DER of the AlgorithmIdentifier OID sha256WithRSAEncryption (1.2.840.113549.1.1.11).
const SHA256_WITH_RSA_OID = Buffer.from('06092a864886f70d01010b', 'hex');

describe('generateKeyPair', () => {
  let pair: KeyPair;
  beforeAll(async () => {
    pair = await generateKeyPair({ commonName: 'sp.example.com, O=Evil', days: 30, now: NOW });
  });

  it('makes an RSA-2048 PKCS#8 key and a self-signed SHA-256 certificate for it', () => {
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new X509Certificate(pair.certificatePem);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.issuer).toBe(cert.subject);
    const der = cert.raw;
    // Once in TBSCertificate.signature, once in Certificate.signatureAlgorithm.
    expect(der.indexOf(SHA256_WITH_RSA_OID)).toBeGreaterThan(-1);
    expect(der.lastIndexOf(SHA256_WITH_RSA_OID)).toBeGreaterThan(der.indexOf(SHA256_WITH_RSA_OID));
    const data = Buffer.from('proof of possession');
    const signature = sign('sha256', data, createPrivateKey(pair.privateKeyPem));
    expect(verify('sha256', data, cert.publicKey, signature)).toBe(true);
  });

  it('uses the given validity and keeps a comma in the CN inside one RDN', () => {
    const described = describeCertificate(pair.certificatePem);
    expect(described.notBefore).toBe(NOW.toISOString());
    expect(described.notAfter).toBe(new Date(NOW.getTime() + 30 * 86_400_000).toISOString());
    expect(described.subject).toBe('CN=sp.example.com\\, O=Evil');
  });

  it('refuses an empty common name and nonsense validity', async () => {
    await expect(generateKeyPair({ commonName: ' ' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await expect(generateKeyPair({ commonName: 'x', days: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await expect(generateKeyPair({ commonName: 'x', days: Number.NaN })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });
});

describe('certificate normalisation', () => {
  const pem = testKeyPair('idp').certificatePem;
  const body = certificateBase64(pem);

  it('turns bare base64 (as in <ds:X509Certificate>, wrapped any way) into canonical PEM', () => {
    const wrapped = `\n  ${body.slice(0, 50)}\r\n ${body.slice(50, 333)}\n\t${body.slice(333)}  \n`;
    const normalized = normalizeCertificatePem(wrapped);
    expect(normalized).toBe(normalizeCertificatePem(pem));
    expect(
      normalized
        .split('\n')
        .slice(1, -3)
        .every((line) => line.length === 64),
    ).toBe(true);
    expect(normalized.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
  });

  it('accepts CRLF PEM and text around the armour', () => {
    const crlf = `Subject: whatever\r\n${pem.replace(/\n/g, '\r\n')}trailing`;
    expect(normalizeCertificatePem(crlf)).toBe(normalizeCertificatePem(pem));
  });

  it('strips the armour for KeyInfo', () => {
    expect(body).toMatch(/^MII[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(body, 'base64').equals(new X509Certificate(pem).raw)).toBe(true);
  });

  it('refuses text that is not a certificate', () => {
    expect(() => normalizeCertificatePem('not a cert!')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => normalizeCertificatePem(Buffer.from('hello world!').toString('base64'))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('describes a certificate with the fingerprint IdP consoles show', () => {
    const described = describeCertificate(body);
    const der = new X509Certificate(pem).raw;
    const expected = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect(described.fingerprintSha256).toBe(expected);
    expect(described.pem).toBe(normalizeCertificatePem(pem));
    expect(described.subject).toMatch(/^CN=/);
    expect(Date.parse(described.notAfter)).toBeGreaterThan(Date.parse(described.notBefore));
  });
});
