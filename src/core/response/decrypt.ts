/**
 * Step 8: find the assertion, decrypting an EncryptedAssertion with the SP key.
 *
 * Every EncryptionMethod in the EncryptedAssertion is checked against the allow list before any decryption
 * runs, so rsa-1_5 (a Bleichenbacher oracle) is refused without touching the key. Every failure after that
 * (key unwrap, padding, GCM tag, the plaintext not being XML) gives one and the same error message: a CBC
 * padding oracle (Jager & Somorovsky, 2011) needs the attacker to tell those failures apart. The specific
 * reason goes only into `details`, for the admin log.
 */
import type { Element } from '@xmldom/xmldom';
import * as xmlenc from 'xml-encryption';
import { blockEncryptionVerdict, keyTransportVerdict } from '../algorithms.ts';
import { privateKey } from '../crypto/key-cache.ts';
import { SamlSpError } from '../errors.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, parseXml } from '../xml/parse.ts';
import { checkAssertionDocument } from './structure.ts';

/**
 * Checks the algorithms of an EncryptedAssertion, decrypts it and returns the root of the plaintext assertion
 * document (its signature, if any, is verified in that document).
 *
 * @example
 * ```ts
 * const assertion = decryptAssertion(encryptedAssertion, { keyPem: sp.decryptionKeyPem, maxBytes });
 * ```
 */
export function decryptAssertion(
  encrypted: Element,
  options: { keyPem: string | undefined; maxBytes: number; maxDepth: number },
): Element {
  if (!options.keyPem) {
    throw new SamlSpError(
      'SAML_DECRYPTION_FAILED',
      'The assertion is encrypted and the SP has no decryption key.',
      {
        hint: 'Configure the SP encryption key (SP_KEY_FILE), or turn off assertion encryption for this application in the IdP.',
        status: 500,
      },
    );
  }
  const data = childElements(encrypted, NS.xenc, 'EncryptedData');
  if (data.length !== 1) {
    throw new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      `The EncryptedAssertion has ${data.length} EncryptedData elements.`,
      {
        hint: 'An EncryptedAssertion holds exactly one xenc:EncryptedData.',
      },
    );
  }
  checkEncryptionMethods(encrypted);
  const key = privateKey(options.keyPem);

  let assertion: Element;
  try {
    const plaintext = runDecrypt(encrypted, key);
    assertion = checkAssertionDocument(
      parseXml(plaintext, {
        maxBytes: options.maxBytes,
        maxDepth: options.maxDepth,
        what: 'decrypted assertion',
      }),
    );
  } catch (cause) {
    throw new SamlSpError(
      'SAML_DECRYPTION_FAILED',
      'The encrypted assertion could not be decrypted with the SP key.',
      {
        hint: 'Check that the IdP encrypts with the SP encryption certificate published in the SP metadata (re-upload it after an SP key change).',
        details: { reason: cause instanceof Error ? cause.message : String(cause) },
        cause,
      },
    );
  }
  return assertion;
}

/** Refuses any EncryptionMethod outside the allow lists, wherever it sits in the EncryptedAssertion. */
function checkEncryptionMethods(encrypted: Element): void {
  let keys = 0;
  const stack: Element[] = [encrypted];
  while (stack.length > 0) {
    const el = stack.pop()!;
    for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) stack.push(n as Element);
    if (el.localName !== 'EncryptionMethod' || el.namespaceURI !== NS.xenc) continue;
    const parent = el.parentNode as Element;
    const algorithm = el.getAttribute('Algorithm') ?? '';
    const isKey = parent.localName === 'EncryptedKey';
    if (isKey) keys++;
    const verdict = isKey ? keyTransportVerdict(algorithm) : blockEncryptionVerdict(algorithm);
    if (verdict.ok) continue;
    const rsa15 = algorithm.endsWith('#rsa-1_5');
    throw new SamlSpError(
      'SAML_ALGORITHM_FORBIDDEN',
      `The assertion is encrypted with ${algorithm || '(no algorithm)'}, which is not allowed.`,
      {
        hint: rsa15
          ? 'RSA PKCS#1 v1.5 key transport is refused (padding-oracle attacks). Configure the IdP to use RSA-OAEP for key encryption (Shibboleth/ADFS: rsa-oaep-mgf1p).'
          : 'Allowed: AES-128/256-GCM or AES-128/256-CBC content encryption with RSA-OAEP key transport. Change the IdP encryption settings.',
        details: { algorithm, role: isKey ? 'key-transport' : 'content-encryption' },
      },
    );
  }
  if (keys === 0) {
    throw new SamlSpError('SAML_DECRYPTION_FAILED', 'The encrypted assertion carries no EncryptedKey.', {
      hint: 'The IdP must wrap the content key for the SP encryption certificate (EncryptedKey in KeyInfo).',
    });
  }
}

type DecryptWithNode = (
  xml: Element,
  options: {
    key: ReturnType<typeof privateKey>;
    disallowDecryptionWithInsecureAlgorithm: false;
    warnInsecureAlgorithm: false;
  },
  callback: (error: Error | null, result: string) => void,
) => void;

function runDecrypt(encrypted: Element, key: ReturnType<typeof privateKey>): string {
  // xml-encryption accepts a DOM node and a KeyObject at run time (its typings say string); passing the node
  // avoids serialising and re-parsing the ciphertext. Its own allow list is off because checkEncryptionMethods
  // has already applied ours, which keeps AES-CBC (ADFS still uses it).
  const decrypt = xmlenc.decrypt as unknown as DecryptWithNode;
  let out: string | undefined;
  let failure: Error | null = null;
  decrypt(
    encrypted,
    { key, disallowDecryptionWithInsecureAlgorithm: false, warnInsecureAlgorithm: false },
    (err, result) => {
      failure = err;
      out = result;
    },
  );
  if (failure) throw failure;
  if (typeof out !== 'string') throw new Error('xml-encryption returned no plaintext');
  return out;
}
