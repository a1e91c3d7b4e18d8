/**
 * Admin identities: named admin tokens instead of one shared secret. Each token is 256 random bits shown once
 * at creation; the store keeps its SHA-256 (a fast hash suffices for high-entropy tokens: there is no
 * dictionary to try, and each request costs one indexed lookup). Tokens are revocable and remember when they
 * were last used and who created them. `ADMIN_TOKEN` stays valid as the bootstrap identity, named
 * "bootstrap", so a fresh install can create the first named token.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AdminError } from '../sp/admin-errors.ts';
import { type Actor, type ChangeContext, UNKNOWN_ACTOR } from '../sp/change-context.ts';
import { parseInput } from '../sp/connection-input.ts';
import { newToken, tokenKey, tokenMatches } from '../sp/tokens.ts';
import type { AdminTokenRecord, AdminTokenStore } from '../store/audit.ts';
import { MemoryAdminTokenStore } from '../store/memory/audit.ts';
import { type AuditRecorder, NO_AUDIT } from './audit-log.ts';

/** The name `ADMIN_TOKEN` acts under. Reserved: no named token may take it. */
export const BOOTSTRAP_ADMIN = 'bootstrap';

/** A token as the API lists it: never the token, never its hash. */
export interface AdminIdentity {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** Who a token proved to be. */
export interface AdminPrincipal {
  actor: Actor;
  /** The named token's id; absent for ADMIN_TOKEN. */
  tokenId?: string;
}

export const createAdminTokenSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N} ._@-]+$/u, 'letters, digits, spaces and . _ @ - only'),
});

export interface AdminIdentitiesOptions {
  /** Where named tokens live. Default: in process memory. */
  store?: AdminTokenStore;
  /** ADMIN_TOKEN: the bootstrap identity. */
  bootstrapToken?: string | undefined;
  audit?: AuditRecorder;
  now?: () => Date;
  /** A token's last-used time is written at most this often (a write per request would be wasteful). Default 60 s. */
  touchIntervalMs?: number;
}

/**
 * Authenticates admin tokens and manages the named ones.
 *
 * @example
 * ```ts
 * const identities = new AdminIdentities({ store: stores.adminTokens, bootstrapToken: process.env.ADMIN_TOKEN, audit });
 * const { token } = await identities.create({ name: 'ci' }, { actor });
 * const actor = await identities.authenticate(token); // { kind: 'admin-token', name: 'ci' }
 * ```
 */
export class AdminIdentities {
  readonly #store: AdminTokenStore;
  readonly #bootstrap: string | undefined;
  readonly #audit: AuditRecorder;
  readonly #now: () => Date;
  readonly #touchIntervalMs: number;

  constructor(options: AdminIdentitiesOptions = {}) {
    this.#store = options.store ?? new MemoryAdminTokenStore();
    this.#bootstrap = options.bootstrapToken || undefined;
    this.#audit = options.audit ?? NO_AUDIT;
    this.#now = options.now ?? (() => new Date());
    this.#touchIntervalMs = options.touchIntervalMs ?? 60_000;
  }

  /** True when some token can sign in: ADMIN_TOKEN is set, or a named token is live. */
  async configured(): Promise<boolean> {
    if (this.#bootstrap) return true;
    return (await this.#store.list()).some((t) => !t.revokedAt);
  }

  /**
   * The identity a presented token proves, or undefined (unknown, revoked, or nothing presented). `tokenId`
   * is absent for the bootstrap identity.
   */
  async authenticate(presented: string | undefined): Promise<AdminPrincipal | undefined> {
    if (!presented) return undefined;
    if (tokenMatches(presented, this.#bootstrap)) {
      return { actor: { kind: 'admin-token', name: BOOTSTRAP_ADMIN } };
    }
    const record = await this.#store.findByHash(tokenKey(presented));
    if (!record || record.revokedAt) return undefined;
    const now = this.#now();
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= this.#touchIntervalMs) {
      await this.#store.touch(record.id, now);
    }
    return { actor: { kind: 'admin-token', name: record.name }, tokenId: record.id };
  }

  /** Whether an identity that signed in earlier (an admin page session) may still act. */
  async isLive(tokenId: string | undefined): Promise<boolean> {
    if (tokenId === undefined) return this.#bootstrap !== undefined;
    const record = await this.#store.get(tokenId);
    return record !== undefined && !record.revokedAt;
  }

  /** Creates a named token; the answer holds the token itself, which is shown this once and never again. */
  async create(
    raw: { name: string },
    context: ChangeContext = {},
  ): Promise<AdminIdentity & { token: string }> {
    const { name } = parseInput(createAdminTokenSchema, raw);
    if (name === BOOTSTRAP_ADMIN || (await this.#store.list()).some((t) => !t.revokedAt && t.name === name)) {
      throw new AdminError('ADMIN_TOKEN_NAME_TAKEN', `A live admin token is already named "${name}".`, {
        hint: 'Choose another name, or revoke the existing token first. "bootstrap" is reserved for ADMIN_TOKEN.',
        status: 409,
      });
    }
    const token = newToken();
    const record: AdminTokenRecord = {
      id: randomUUID(),
      name,
      tokenHash: tokenKey(token),
      createdAt: this.#now(),
      createdBy: (context.actor ?? UNKNOWN_ACTOR).name,
    };
    await this.#store.create(record);
    const identity = identityOf(record);
    await this.#audit.record({
      actor: context.actor,
      action: 'admin_token.created',
      target: { type: 'admin-token', id: record.id },
      after: identity,
    });
    return { ...identity, token };
  }

  /** Every named token, revoked ones included (they explain old audit entries). */
  async list(): Promise<AdminIdentity[]> {
    return (await this.#store.list()).map(identityOf);
  }

  /** Revokes a token at once: its next request is refused. */
  async revoke(id: string, context: ChangeContext = {}): Promise<AdminIdentity> {
    const before = await this.#store.get(id);
    if (!before || before.revokedAt || !(await this.#store.revoke(id, this.#now()))) {
      throw new AdminError('ADMIN_NOT_FOUND', `There is no live admin token "${id}".`, {
        hint: 'List the admin tokens to see their ids; a revoked token stays revoked.',
        status: 404,
      });
    }
    const after = identityOf((await this.#store.get(id)) ?? before);
    await this.#audit.record({
      actor: context.actor,
      action: 'admin_token.revoked',
      target: { type: 'admin-token', id },
      before: identityOf(before),
      after,
    });
    return after;
  }
}

function identityOf(record: AdminTokenRecord): AdminIdentity {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.createdAt.toISOString(),
    createdBy: record.createdBy,
    ...(record.lastUsedAt ? { lastUsedAt: record.lastUsedAt.toISOString() } : {}),
    ...(record.revokedAt ? { revokedAt: record.revokedAt.toISOString() } : {}),
  };
}
