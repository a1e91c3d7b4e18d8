/**
 * Where a ring key's private half lives, by reference: `file:/abs/path.pem` is built in (the PEM is read into
 * this process, as the certs/ files always were); any other scheme is resolved by a resolver the integrator
 * registers (`kms:`, `vault:`, a signing sidecar on loopback), which returns a Signer and a Decrypter that
 * call out, so the private key never enters this process.
 */
import { readFile } from 'node:fs/promises';
import { type Decrypter, pemDecrypter, pemSigner, type Signer } from '../core/crypto/signer.ts';

/** The private-key operations of one ring key. */
export interface KeyOperations {
  signer: Signer;
  decrypter: Decrypter;
}

/**
 * Turns a key reference into its operations. Called once per reference (the ring caches the result).
 *
 * @example
 * ```ts
 * const vault: KeyResolver = (ref) => vaultTransitKey(ref.slice('vault:'.length));
 * new KeyRing({ store, keysDir, resolvers: { 'vault:': vault } });
 * ```
 */
export type KeyResolver = (ref: string) => KeyOperations | Promise<KeyOperations>;

/**
 * The built-in resolver of `file:` references: reads the PEM private key.
 *
 * @example
 * ```ts
 * const { signer } = await fileKeyResolver('file:/etc/saml-sp/keys/signing-2027.key.pem');
 * ```
 */
export async function fileKeyResolver(ref: string): Promise<KeyOperations> {
  const pem = await readFile(fileRefPath(ref), 'utf8');
  return { signer: pemSigner(pem), decrypter: pemDecrypter(pem) };
}

/** The path of a `file:` reference. */
export function fileRefPath(ref: string): string {
  if (!ref.startsWith('file:')) throw new TypeError(`"${ref}" is not a file: key reference.`);
  return ref.slice('file:'.length);
}

/** The scheme of a reference (`file:`, `vault:`, `http:`): what picks its resolver. */
export function schemeOf(ref: string): string {
  const match = /^[a-z][a-z0-9+.-]*:/i.exec(ref);
  return match ? match[0].toLowerCase() : '';
}
