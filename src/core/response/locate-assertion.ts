/**
 * Step 8: find the assertion the rest of the checks will read. An EncryptedAssertion is taken from the
 * signed Response bytes when the Response is signed (so its ciphertext is authenticated before the SP key
 * touches it) and decrypted; a plain Assertion is returned as parsed, for its own signature to be verified
 * in its own document.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import type { ConnectionPolicy, SpIdentity } from '../types.ts';
import { NS } from '../xml/namespaces.ts';
import { singleChild } from '../xml/parse.ts';
import { decryptAssertion } from './decrypt.ts';

/** The assertion as found: the original element, or the root of the decrypted document. */
export interface LocatedAssertion {
  assertion: Element;
  wasEncrypted: boolean;
}

/**
 * Finds (and decrypts) the assertion. `responseView` is the signed Response when it is signed, else the
 * parsed one; `originalAssertion` is the plain Assertion the structure check found in the parsed document.
 *
 * @example
 * ```ts
 * const { assertion, wasEncrypted } = await locateAssertion(responseView, structure.assertion, {
 *   policy, decryptionKeyPem, maxBytes, maxDepth, responseSigned: signedResponse !== undefined,
 * });
 * ```
 */
export async function locateAssertion(
  responseView: Element,
  originalAssertion: Element | undefined,
  context: {
    policy: ConnectionPolicy;
    decryptionKeyPem: string | undefined;
    /** A key ring's decryption keys (tried in order) and its retired ones; take precedence over the PEM. */
    decryption?: SpIdentity['decryption'];
    maxBytes: number;
    maxDepth: number;
    /** `responseView` is the verified Response signature's signed bytes. */
    responseSigned: boolean;
  },
): Promise<LocatedAssertion> {
  const encrypted = singleChild(responseView, NS.assertion, 'EncryptedAssertion');
  if (encrypted) {
    const assertion = await decryptAssertion(encrypted, {
      keyPem: context.decryptionKeyPem,
      ...(context.decryption
        ? { keys: context.decryption.keys, retiredKeys: context.decryption.retired }
        : {}),
      maxBytes: context.maxBytes,
      maxDepth: context.maxDepth,
      ciphertextSigned: context.responseSigned,
      allowCbcWithoutResponseSignature: context.policy.allowCbcWithoutResponseSignature,
    });
    return { assertion, wasEncrypted: true };
  }
  if (!originalAssertion) {
    throw new SamlSpError('SAML_ASSERTION_MISSING', 'The Response carries no assertion.', {
      hint: 'A successful SAML Response must carry one assertion; the IdP sent none.',
    });
  }
  if (context.policy.requireEncryptedAssertion) {
    throw new SamlSpError(
      'SAML_ASSERTION_MISSING',
      'The Response carries no encrypted assertion, and this connection requires one.',
      {
        hint: 'Turn on assertion encryption in the IdP with the SP encryption certificate from the SP metadata, or turn off requireEncryptedAssertion for this connection.',
        details: { requireEncryptedAssertion: true },
      },
    );
  }
  // The original element, not the signed Response's copy: its signature is verified in its own document,
  // where it keeps its full namespace context (an InclusiveNamespaces prefix may be declared on the root).
  return { assertion: originalAssertion, wasEncrypted: false };
}

/**
 * The Assertion child of a signed Response's bytes: what is read when only the Response is signed.
 *
 * @example
 * ```ts
 * const assertion = assertionIn(signedResponse.signed);
 * ```
 */
export function assertionIn(response: Element): Element {
  const assertion = singleChild(response, NS.assertion, 'Assertion');
  if (!assertion) {
    throw new SamlSpError('SAML_ASSERTION_MISSING', 'The signed Response carries no assertion.', {
      hint: 'A successful SAML Response must carry one assertion; the IdP sent none.',
    });
  }
  return assertion;
}
