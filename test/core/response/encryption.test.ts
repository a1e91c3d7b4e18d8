/** Encrypted assertions: the allowed algorithms, the refused ones, and failures that must not leak detail. */
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { buildResponse, buildValidateOptions, testKey } from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

/** AES-CBC without a Response signature needs the connection's opt-in (issue #9); see decryption-policy.test.ts. */
const cbcOptIn = buildValidateOptions({ policy: { allowCbcWithoutResponseSignature: true } });

describe('encrypted assertions', () => {
  for (const algorithm of ['aes128-gcm', 'aes256-gcm', 'aes128-cbc', 'aes256-cbc'] as const) {
    it(`decrypts ${algorithm} with RSA-OAEP key transport`, async () => {
      const options = algorithm.endsWith('cbc') ? cbcOptIn : buildValidateOptions();
      const result = await validateResponse(await buildResponse({ encrypt: { algorithm } }), options);
      expect(result.wasEncrypted).toBe(true);
      expect(result.nameId.value).toBe('alice@example.com');
      expect(result.signature.signedElements).toEqual(['assertion']);
    });
  }

  it('decrypts under a Response-only signature, from the signed ciphertext', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const result = await validateResponse(
      await buildResponse({ sign: 'response', encrypt: { algorithm: 'cbc' } }),
      options,
    );
    expect(result).toMatchObject({ wasEncrypted: true, signature: { signedElements: ['response'] } });
  });

  it('checks a Response signature before decrypting (altered ciphertext never reaches the SP key)', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const samlResponse = await buildResponse({
      sign: 'response',
      encrypt: { algorithm: 'cbc' },
      tamper: (xml) =>
        xml.replace(
          // Replace the first base64 character with another one: swapping two characters changed nothing
          // whenever they were equal (about 1 run in 64), and the untouched response was then accepted.
          /(<xenc:CipherData>\s*<xenc:CipherValue>)(.)/,
          (_m, open: string, first: string) => `${open}${first === 'A' ? 'B' : 'A'}`,
        ),
    });
    await expectRejected(samlResponse, 'SAML_SIGNATURE_INVALID', options);
  });

  it('still verifies the signature inside the encrypted assertion', async () => {
    await expectRejected(
      await buildResponse({ signingKey: 'idp-rogue', encrypt: {} }),
      'SAML_SIGNATURE_UNTRUSTED',
    );
  });

  it('refuses an unsigned encrypted assertion', async () => {
    await expectRejected(await buildResponse({ sign: 'none', encrypt: {} }), 'SAML_SIGNATURE_MISSING');
  });

  it('refuses rsa-1_5 key transport before decrypting', async () => {
    const samlResponse = await buildResponse({ encrypt: { keyTransport: 'rsa-1_5' } });
    // With no SP key at all, the refusal still comes from the algorithm check: no decryption was attempted.
    const withoutKey = buildValidateOptions({ sp: { decryptionKeyPem: 'not a key' } });
    const error = await expectRejected(samlResponse, 'SAML_ALGORITHM_FORBIDDEN', withoutKey);
    expect(error.details).toMatchObject({ role: 'key-transport' });
    expect(error.hint).toContain('RSA-OAEP');
  });

  it('refuses 3DES content encryption', async () => {
    const samlResponse = await buildResponse({
      encrypt: {},
      tamper: (xml) =>
        xml.replace(
          'http://www.w3.org/2009/xmlenc11#aes256-gcm',
          'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
        ),
    });
    await expectRejected(samlResponse, 'SAML_ALGORITHM_FORBIDDEN');
  });

  it('refuses a plain assertion when the connection requires encryption', async () => {
    const options = buildValidateOptions({ policy: { requireEncryptedAssertion: true } });
    await expectRejected(await buildResponse(), 'SAML_ASSERTION_MISSING', options);
    await expect(validateResponse(await buildResponse({ encrypt: {} }), options)).resolves.toBeDefined();
  });

  it('reports a missing SP key as a configuration problem', async () => {
    const error = await expectRejected(
      await buildResponse({ encrypt: {} }),
      'SAML_DECRYPTION_FAILED',
      buildValidateOptions({ sp: { decryptionKeyPem: undefined } }),
    );
    expect(error.status).toBe(500);
  });

  it('gives one message for every decryption failure (no padding oracle)', async () => {
    const wrongKey = buildValidateOptions({
      sp: { decryptionKeyPem: testKey('idp').keyPem },
      policy: { allowCbcWithoutResponseSignature: true },
    });
    const a = await expectRejected(
      await buildResponse({ encrypt: { algorithm: 'cbc' } }),
      'SAML_DECRYPTION_FAILED',
      wrongKey,
    );
    // Flip ciphertext bytes: a CBC padding or parse failure after a successful key unwrap.
    const corrupt = await buildResponse({
      encrypt: { algorithm: 'cbc' },
      tamper: (xml) =>
        xml.replace(
          /(<xenc:CipherData>\s*<xenc:CipherValue>)([A-Za-z0-9+/]{40})/,
          (_m, open: string, head: string) => `${open}${head.split('').reverse().join('')}`,
        ),
    });
    const b = await expectRejected(corrupt, 'SAML_DECRYPTION_FAILED', cbcOptIn);
    const gcm = await buildResponse({
      encrypt: { algorithm: 'gcm' },
      tamper: (xml) =>
        xml.replace(
          /(<xenc:CipherData>\s*<xenc:CipherValue>)([A-Za-z0-9+/]{40})/,
          (_m, open: string, head: string) => `${open}${head.split('').reverse().join('')}`,
        ),
    });
    const c = await expectRejected(gcm, 'SAML_DECRYPTION_FAILED');
    expect(new Set([a, b, c].map((e) => `${e.message}|${e.hint}`)).size).toBe(1);
  });
});
