/**
 * The bridge's token signing keys, rotated on a schedule: the newest key signs, the previous ones stay in the
 * JWKS until every token they signed has expired (`retainSeconds` after they stopped signing), so an API that
 * verifies a token signed a minute before a rotation still accepts it. Keys live in the OidcStore, so every
 * instance of a deployment signs with, and publishes, the same keys.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { OidcSigningKey, OidcStore } from '../store/oidc.ts';

export interface KeyRingOptions {
  /** A new key takes over after this many seconds. Default 30 days. */
  rotateAfterSeconds?: number;
  /** How long a superseded key stays published. Default 1 day (longer than any token the bridge issues). */
  retainSeconds?: number;
}

export class OidcKeyRing {
  readonly #store: OidcStore;
  readonly #rotateAfterMs: number;
  readonly #retainMs: number;

  constructor(store: OidcStore, options: KeyRingOptions = {}) {
    this.#store = store;
    this.#rotateAfterMs = (options.rotateAfterSeconds ?? 30 * 86_400) * 1000;
    this.#retainMs = (options.retainSeconds ?? 86_400) * 1000;
  }

  /** The published keys at `now`, the signing one first; rotates first when the signing key is due. */
  async keys(now: Date): Promise<OidcSigningKey[]> {
    const keys = await this.#store.listKeys(now);
    const signing = keys.find((k) => !k.supersededAt);
    if (signing && now.getTime() - signing.createdAt.getTime() < this.#rotateAfterMs) return keys;
    await this.rotate(now);
    return this.#store.listKeys(now);
  }

  /** Makes a new signing key and supersedes the current one (kept published for `retainSeconds`). */
  async rotate(now: Date): Promise<OidcSigningKey> {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const fresh: OidcSigningKey = {
      kid,
      privateJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' },
      createdAt: now,
    };
    for (const old of await this.#store.listKeys(now)) {
      if (old.supersededAt) continue;
      await this.#store.putKey({
        ...old,
        supersededAt: now,
        retireAt: new Date(now.getTime() + this.#retainMs),
      });
    }
    await this.#store.putKey(fresh);
    return fresh;
  }

  /** Removes a superseded key from the JWKS now (after a leak, say): tokens it signed stop verifying. */
  async retire(kid: string, now: Date): Promise<boolean> {
    const key = (await this.#store.listKeys(now)).find((k) => k.kid === kid);
    if (!key || !key.supersededAt) return false;
    await this.#store.putKey({ ...key, retireAt: now });
    return true;
  }
}
