/**
 * Issue #9 item 4: the decryptor uses exactly the algorithms the allow list checked, reads XML Encryption
 * elements in their own namespace only, and decrypts AES-CBC only under a Response signature or an explicit
 * per-connection opt-in.
 *
 * Before: xml-encryption looked its elements up by local name and took the first, so a foreign-namespace
 * EncryptionMethod naming rsa-1_5, placed before the allowed one, got rsa-1_5 used (the allow list only saw
 * the xenc one); an EncryptedData without its own EncryptionMethod took the algorithm from a look-alike
 * nested in its KeyInfo (3DES, which the allow list refuses, was used); CBC was decrypted under any signature.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { decryptAssertion } from '../../../src/core/response/decrypt.ts';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { NS } from '../../../src/core/xml/namespaces.ts';
import {
  buildResponse,
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  testKey,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const RSA_1_5 = 'http://www.w3.org/2001/04/xmlenc#rsa-1_5';
const OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';

/**
 * An encrypted response whose content key is wrapped with rsa-1_5, carrying a foreign-namespace
 * EncryptionMethod naming rsa-1_5 first and an xenc one naming RSA-OAEP after it: the allow list sees OAEP,
 * a name-based reader uses rsa-1_5.
 */
async function rsa15BehindForeignMethod(): Promise<string> {
  const xml = await buildResponseXml({ encrypt: { keyTransport: 'rsa-1_5' } });
  const disguised = xml.replace(
    /<(\w+):EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#rsa-1_5">/,
    `<evil:EncryptionMethod xmlns:evil="urn:example:evil" Algorithm="${RSA_1_5}"/><$1:EncryptionMethod Algorithm="${OAEP}">`,
  );
  expect(disguised).not.toBe(xml);
  return disguised;
}

/**
 * A 3DES-encrypted response whose EncryptedData names no algorithm itself; a look-alike EncryptedData in its
 * KeyInfo names 3DES.
 */
async function tripleDesBehindLookAlike(): Promise<string> {
  const xml = await buildResponseXml({ encrypt: { algorithm: 'tripledes-cbc' } });
  const disguised = xml
    .replace(
      /<xenc:EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#tripledes-cbc"\s*\/>/,
      '',
    )
    .replace(
      /(<KeyInfo xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">)/,
      '$1<x:EncryptedData xmlns:x="urn:example:evil"><x:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc"/></x:EncryptedData>',
    );
  expect(disguised).not.toBe(xml);
  return disguised;
}

/** The EncryptedAssertion element of a response, parsed without any of the validator's checks. */
function encryptedAssertionOf(xml: string): Element {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').item(0)!;
}

const decryptOptions = {
  keyPem: testKey('sp').keyPem,
  maxBytes: 1 << 20,
  maxDepth: 100,
  ciphertextSigned: false,
  allowCbcWithoutResponseSignature: false,
};

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'accepted';
}

describe('the decryptor uses only checked algorithms, read in the xenc namespace', () => {
  it('refuses a foreign-namespace EncryptionMethod naming rsa-1_5 before the allowed one', async () => {
    const xml = await rsa15BehindForeignMethod();
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
    // The decryptor refuses it on its own too, without the structure check in front of it.
    expect(await codeOf(() => decryptAssertion(encryptedAssertionOf(xml), decryptOptions))).toBe(
      'SAML_STRUCTURE_INVALID',
    );
  });

  it('refuses a look-alike EncryptedData that would choose 3DES for an EncryptedData naming no algorithm', async () => {
    const xml = await tripleDesBehindLookAlike();
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
    expect(await codeOf(() => decryptAssertion(encryptedAssertionOf(xml), decryptOptions))).toBe(
      'SAML_STRUCTURE_INVALID',
    );
  });

  it('refuses an EncryptedData or EncryptedKey that names no algorithm', async () => {
    const noData = (await buildResponseXml({ encrypt: {} })).replace(
      /<xenc:EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2009\/xmlenc11#aes256-gcm"\s*\/>/,
      '',
    );
    expect(await codeOf(() => decryptAssertion(encryptedAssertionOf(noData), decryptOptions))).toBe(
      'SAML_ALGORITHM_FORBIDDEN',
    );
    const noKey = (await buildResponseXml({ encrypt: {} })).replace(
      /<(\w+):EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#rsa-oaep-mgf1p">[\s\S]*?<\/\1:EncryptionMethod>/,
      '',
    );
    expect(await codeOf(() => decryptAssertion(encryptedAssertionOf(noKey), decryptOptions))).toBe(
      'SAML_ALGORITHM_FORBIDDEN',
    );
  });

  it('refuses an RSA-OAEP digest outside the allow list', async () => {
    const genuine = await buildResponseXml({ encrypt: {} });
    const xml = genuine.replace(
      '<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1" />',
      '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#md5" />',
    );
    expect(xml).not.toBe(genuine);
    const error = await expectRejected(encodeResponse(xml), 'SAML_ALGORITHM_FORBIDDEN');
    expect(error.details).toMatchObject({ role: 'key-transport-digest' });
  });

  it('still decrypts an EncryptedKey placed beside the EncryptedData and named by a RetrievalMethod', async () => {
    const xml = (await buildResponseXml({ encrypt: {} })).replace(
      /<KeyInfo xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">\s*(<e:EncryptedKey[\s\S]*?<\/e:EncryptedKey>)\s*<\/KeyInfo>([\s\S]*?<\/xenc:EncryptedData>)/,
      (_m, key: string, rest: string) =>
        `<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><RetrievalMethod URI="#k1" Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey"/></KeyInfo>${rest}${key.replace('<e:EncryptedKey', '<e:EncryptedKey xmlns="http://www.w3.org/2000/09/xmldsig#" Id="k1"')}`,
    );
    expect(xml).toContain('RetrievalMethod');
    const result = await validateResponse(encodeResponse(xml), buildValidateOptions());
    expect(result.wasEncrypted).toBe(true);
  });
});

describe('AES-CBC is decrypted only when a Response signature covers the ciphertext, or by opt-in', () => {
  it('refuses CBC under an assertion signature alone, with advice for the admin', async () => {
    const error = await expectRejected(
      await buildResponse({ encrypt: { algorithm: 'aes256-cbc' } }),
      'SAML_ALGORITHM_FORBIDDEN',
    );
    expect(error.details).toMatchObject({ role: 'content-encryption', responseSigned: false });
    expect(error.hint).toMatch(/MessageAndAssertion/);
    expect(error.hint).toMatch(/allowCbcWithoutResponseSignature/);
  });

  it('decrypts CBC when a verified Response signature covers the ciphertext', async () => {
    for (const sign of ['both', 'response'] as const) {
      const result = await validateResponse(
        await buildResponse({ sign, encrypt: { algorithm: 'aes128-cbc' } }),
        buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } }),
      );
      expect(result.wasEncrypted).toBe(true);
    }
  });

  it('decrypts CBC without a Response signature when the connection opts in', async () => {
    const result = await validateResponse(
      await buildResponse({ encrypt: { algorithm: 'aes256-cbc' } }),
      buildValidateOptions({ policy: { allowCbcWithoutResponseSignature: true } }),
    );
    expect(result.wasEncrypted).toBe(true);
  });

  it('decrypts GCM under an assertion signature alone (authenticated encryption)', async () => {
    const result = await validateResponse(
      await buildResponse({ encrypt: { algorithm: 'aes128-gcm' } }),
      buildValidateOptions(),
    );
    expect(result.wasEncrypted).toBe(true);
  });
});
