/**
 * SCIM bearer tokens, one or more per organization. A token reads `scim_<id>_<secret>`: the id finds the row,
 * the secret is compared by its SHA-256 in constant time, and the organization in the URL must be the token's
 * own, so a token of organization A opens nothing of organization B. Only the hash is stored; the token is
 * shown once, when it is created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChangeContext } from '../sp/change-context.ts';
import type { ScimStore, ScimTokenRow } from '../store/scim.ts';

const TOKEN_SHAPE = /^scim_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** lastUsedAt is written at most this often per token, so a 10,000-user push is not 10,000 extra writes. */
const TOUCH_EVERY_MS = 60_000;

/** A token as the admin API and CLI list it: never the secret or its hash. */
export interface ScimTokenView {
  id: string;
  organizationId: string;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Told about token creation and revocation (the audit log). */
export type TokenChangeListener = (
  change: {
    kind: 'scim-token.created' | 'scim-token.revoked';
    organizationId: string;
    tokenId: string;
    at: Date;
  },
  context: ChangeContext,
) => void | Promise<void>;

export class ScimTokens {
  readonly #store: ScimStore;
  readonly #now: () => Date;
  readonly #onChange: TokenChangeListener | undefined;

  constructor(options: { store: ScimStore; now?: () => Date; onChange?: TokenChangeListener }) {
    this.#store = options.store;
    this.#now = options.now ?? (() => new Date());
    this.#onChange = options.onChange;
  }

  /**
   * A new token for the organization (the caller checks that it exists). Returns the token once.
   *
   * @example
   * ```ts
   * const { id, token } = await tokens.create('acme', { name: 'Okta' });
   * ```
   */
  async create(
    organizationId: string,
    options: { name?: string } = {},
    context: ChangeContext = {},
  ): Promise<{ id: string; token: string; view: ScimTokenView }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row: ScimTokenRow = { id, organizationId, secretHash: hash(secret), createdAt: this.#now() };
    if (options.name) row.name = options.name;
    await this.#store.insertToken(row);
    await this.#onChange?.(
      { kind: 'scim-token.created', organizationId, tokenId: id, at: row.createdAt },
      context,
    );
    return { id, token: `scim_${id}_${secret}`, view: view(row) };
  }

  async list(organizationId: string): Promise<ScimTokenView[]> {
    return (await this.#store.listTokens(organizationId)).map(view);
  }

  async get(id: string): Promise<ScimTokenView | undefined> {
    const row = await this.#store.getToken(id);
    return row && view(row);
  }

  /** Returns false when the token is unknown or was already revoked. */
  async revoke(id: string, context: ChangeContext = {}): Promise<boolean> {
    const row = await this.#store.getToken(id);
    const at = this.#now();
    if (!row || !(await this.#store.revokeToken(id, at))) return false;
    await this.#onChange?.(
      { kind: 'scim-token.revoked', organizationId: row.organizationId, tokenId: id, at },
      context,
    );
    return true;
  }

  /** The token's id when `token` is a live token of `organizationId`, else undefined. */
  async verify(token: string, organizationId: string): Promise<string | undefined> {
    const parts = TOKEN_SHAPE.exec(token);
    if (!parts) return undefined;
    const [, id, secret] = parts as unknown as [string, string, string];
    const row = await this.#store.getToken(id);
    // Compare a hash even for an unknown id, so the answer takes as long either way.
    const expected = Buffer.from(row?.secretHash ?? hash(''), 'hex');
    const given = Buffer.from(hash(secret), 'hex');
    const equal = timingSafeEqual(expected, given);
    if (!row || !equal || row.revokedAt !== undefined || row.organizationId !== organizationId)
      return undefined;
    const now = this.#now();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await this.#store.touchToken(id, now);
    }
    return id;
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function view(row: ScimTokenRow): ScimTokenView {
  return {
    id: row.id,
    organizationId: row.organizationId,
    name: row.name ?? null,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
