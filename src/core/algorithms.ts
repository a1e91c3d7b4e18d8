/**
 * The XML-DSig and XML-Enc algorithms the SP accepts in IdP messages, as `as const` URI maps with explicit
 * allow and deny lists. An algorithm that is in neither list is refused as unknown: nothing ever falls back to
 * a default (node-saml's `algorithms.ts` silently used SHA-1 for unknown names).
 */

/** Signature method URIs, by short name. */
export const SIGNATURE_METHODS = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha384': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'ecdsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'ecdsa-sha384': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'ecdsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'ecdsa-sha1': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1',
} as const;

/** Digest method URIs, by short name. */
export const DIGEST_METHODS = {
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

/** The only canonicalisation and transforms a SAML signature needs (SAML core §5.4.3, §5.4.4). */
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** What a signature method needs from the verifier. */
export interface SignatureMethodSpec {
  uri: string;
  hash: HashName;
  keyType: 'rsa' | 'ec';
}

const SIGNATURE_SPECS: ReadonlyMap<string, SignatureMethodSpec> = new Map(
  Object.entries(SIGNATURE_METHODS).map(([name, uri]) => {
    const [keyType, hash] = name.split('-') as ['rsa' | 'ecdsa', HashName];
    return [uri, { uri, hash, keyType: keyType === 'rsa' ? 'rsa' : 'ec' }];
  }),
);

const DIGEST_SPECS: ReadonlyMap<string, HashName> = new Map(
  Object.entries(DIGEST_METHODS).map(([name, uri]) => [uri, name as HashName]),
);

/** Block ciphers for EncryptedData. GCM is preferred; CBC stays because ADFS and Shibboleth still default to it. */
export const BLOCK_ENCRYPTION = {
  'aes128-gcm': 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'aes128-cbc': 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
} as const;

/** Key transport for EncryptedKey. */
export const KEY_TRANSPORT = {
  'rsa-oaep-mgf1p': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  'rsa-oaep': 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
} as const;

/**
 * Refused outright, whatever the policy: RSA PKCS#1 v1.5 key transport is open to Bleichenbacher-style oracles
 * (XML-Enc 1.1 §5.5.1 note), and 3DES is withdrawn by NIST.
 */
export const FORBIDDEN_ENCRYPTION = {
  'rsa-1_5': 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
  'tripledes-cbc': 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
} as const;

/** The verdict on one algorithm URI under a policy. */
export type AlgorithmVerdict = { ok: true } | { ok: false; reason: 'sha1' | 'unknown' | 'forbidden' };

/**
 * Looks up a SignatureMethod URI. SHA-1 variants are known but refused unless `allowSha1`.
 *
 * @example
 * ```ts
 * signatureMethod(SIGNATURE_METHODS['rsa-sha256'], { allowSha1: false }); // { uri, hash: 'sha256', keyType: 'rsa' }
 * ```
 */
export function signatureMethod(
  uri: string,
  policy: { allowSha1: boolean },
): SignatureMethodSpec | { refused: 'sha1' | 'unknown' } {
  const spec = SIGNATURE_SPECS.get(uri);
  if (!spec) return { refused: 'unknown' };
  if (spec.hash === 'sha1' && !policy.allowSha1) return { refused: 'sha1' };
  return spec;
}

/**
 * Looks up a DigestMethod URI. SHA-1 is known but refused unless `allowSha1`.
 *
 * @example
 * ```ts
 * digestMethod(DIGEST_METHODS.sha256, { allowSha1: false }); // 'sha256'
 * ```
 */
export function digestMethod(
  uri: string,
  policy: { allowSha1: boolean },
): HashName | { refused: 'sha1' | 'unknown' } {
  const hash = DIGEST_SPECS.get(uri);
  if (!hash) return { refused: 'unknown' };
  if (hash === 'sha1' && !policy.allowSha1) return { refused: 'sha1' };
  return hash;
}

/** The accepted signature method URIs under a policy, for error messages and docs. */
export function acceptedSignatureMethods(policy: { allowSha1: boolean }): string[] {
  return [...SIGNATURE_SPECS.values()].filter((s) => policy.allowSha1 || s.hash !== 'sha1').map((s) => s.uri);
}

/** The verdict on an EncryptedData EncryptionMethod URI. */
export function blockEncryptionVerdict(uri: string): AlgorithmVerdict {
  if ((Object.values(BLOCK_ENCRYPTION) as string[]).includes(uri)) return { ok: true };
  if ((Object.values(FORBIDDEN_ENCRYPTION) as string[]).includes(uri))
    return { ok: false, reason: 'forbidden' };
  return { ok: false, reason: 'unknown' };
}

/** The verdict on an EncryptedKey EncryptionMethod URI. */
export function keyTransportVerdict(uri: string): AlgorithmVerdict {
  if ((Object.values(KEY_TRANSPORT) as string[]).includes(uri)) return { ok: true };
  if ((Object.values(FORBIDDEN_ENCRYPTION) as string[]).includes(uri))
    return { ok: false, reason: 'forbidden' };
  return { ok: false, reason: 'unknown' };
}
