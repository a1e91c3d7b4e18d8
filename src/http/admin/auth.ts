/**
 * Admin authentication: the bearer token of the API, the sign-in form of the page, and the server-side admin
 * sessions the page runs on.
 *
 * Tokens are ADMIN_TOKEN (the bootstrap identity, compared in constant time) and the named admin tokens of
 * src/audit/admin-identities.ts. With neither every call is refused with ADMIN_TOKEN_NOT_SET: an admin
 * surface with no credential must not fall open.
 */
import type { NextFunction, Request, Response } from 'express';
import { AdminIdentities } from '../../audit/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { Actor, ChangeContext } from '../../sp/change-context.ts';
import { newToken, tokenKey } from '../../sp/tokens.ts';
import { MemoryStateStore, MemoryThrottleStore } from '../../store/memory/shared-state.ts';
import type { StateStore, ThrottleStore } from '../../store/shared-state.ts';

// Moved to src/sp/tokens.ts (the admin identities need it outside HTTP); re-exported for existing importers.
export { tokenMatches } from '../../sp/tokens.ts';

export function tokenNotSet(): AdminError {
  return new AdminError('ADMIN_TOKEN_NOT_SET', 'The admin API is disabled: ADMIN_TOKEN is not set.', {
    hint: 'Set ADMIN_TOKEN (at least 16 random characters, e.g. `openssl rand -base64 32`) in the server environment and restart.',
    status: 503,
  });
}

/** The identity a request authenticated as, set by {@link requireAdmin}; read it with {@link changeContextOf}. */
const ACTOR = 'samlSpAdminActor';

/**
 * Express middleware for the JSON API: `Authorization: Bearer <token>`, where the token is ADMIN_TOKEN (the
 * "bootstrap" identity) or a live named admin token. The request's actor is built here, once, and every
 * route passes it down to the services as their ChangeContext ({@link changeContextOf}).
 */
export function requireAdmin(identities: AdminIdentities) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
      const principal = await identities.authenticate(match?.[1]);
      if (principal) {
        res.locals[ACTOR] = principal.actor;
        next();
        return;
      }
      if (!(await identities.configured())) {
        next(tokenNotSet());
        return;
      }
      next(
        new AdminError('ADMIN_UNAUTHORIZED', 'Missing, wrong or revoked admin token.', {
          hint: 'Send the header `Authorization: Bearer <token>` with ADMIN_TOKEN or a live named admin token.',
          status: 401,
        }),
      );
    } catch (error) {
      next(error);
    }
  };
}

/** Express middleware for the JSON API with ADMIN_TOKEN alone (no named tokens). */
export function requireBearer(adminToken: string | undefined) {
  return requireAdmin(new AdminIdentities({ bootstrapToken: adminToken }));
}

/** Who made this API request, as the services' ChangeContext. */
export function changeContextOf(res: Response): ChangeContext {
  const actor = res.locals[ACTOR] as Actor | undefined;
  return actor ? { actor } : {};
}

/** Who is behind an admin page session, as the services' ChangeContext. */
export function sessionContext(session: AdminSession): ChangeContext {
  return { actor: { kind: 'admin-session', name: session.admin?.name ?? 'unknown' } };
}

/** One signed-in admin browser. */
export interface AdminSession {
  /** The synchroniser token every state-changing form of this session must carry. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Test sign-ins this session started: run token -> connection id. */
  testRuns: Map<string, { connectionId: string; startedAt: number }>;
  /** The identity that signed in (a named token's name, or "bootstrap"), and that token's id. */
  admin?: { name: string; tokenId?: string };
  /** One message for the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

/** An {@link AdminSession} as the state store keeps it (JSON). */
interface StoredAdminSession extends Omit<AdminSession, 'testRuns'> {
  testRuns: [string, { connectionId: string; startedAt: number }][];
}

export interface AdminSessionOptions {
  /**
   * Where sessions live. The server passes the stores' shared `state` (Redis, else the database), so an
   * admin signed in on one instance is signed in on all, and stays signed in across a restart. Default: in
   * process memory, capped at `maxSessions`.
   */
  store?: StateStore;
  /** Absolute lifetime. Default 8 h. */
  maxAgeMs?: number;
  /** Idle timeout. Default 1 h. */
  idleMs?: number;
  /** Most sessions the default in-memory store keeps; the oldest goes first. Default 1000. */
  maxSessions?: number;
  now?: () => number;
}

const ADMIN_SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Admin sessions in a {@link StateStore}, keyed by a hash of the cookie value (a heap dump or a database
 * dump does not hand out sessions). `get` returns a plain object that the page changes (flash message, test
 * runs); `save` writes those changes back, and must come before the response that leads to the next page.
 *
 * @example
 * ```ts
 * const sessions = new AdminSessions({ store: stores.state });
 * const { token } = await sessions.create();
 * const session = await sessions.get(token);
 * ```
 */
export class AdminSessions {
  readonly #store: StateStore;
  readonly #maxAgeMs: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  /** The key and the JSON last written for each session object handed out, so `save` writes only changes. */
  readonly #written = new WeakMap<AdminSession, { key: string; json: string }>();

  constructor(options: AdminSessionOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
    this.#idleMs = options.idleMs ?? 3600_000;
    this.#store = options.store ?? new MemoryStateStore({ maxEntries: options.maxSessions ?? 1000 });
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session for the identity that signed in; returns the cookie value. */
  async create(admin?: AdminSession['admin']): Promise<{ token: string; session: AdminSession }> {
    const now = this.#now();
    const token = newToken();
    const session: AdminSession = {
      csrfToken: newToken(),
      createdAt: now,
      lastSeenAt: now,
      testRuns: new Map(),
      ...(admin ? { admin } : {}),
    };
    await this.#write(keyOf(token), session);
    return { token, session };
  }

  /** The live session of a cookie value, refreshing its idle timer. */
  async get(token: string | undefined): Promise<AdminSession | undefined> {
    if (!token || !ADMIN_SESSION_TOKEN.test(token)) return undefined;
    const key = keyOf(token);
    const now = this.#now();
    const json = await this.#store.get(key, new Date(now));
    if (json === undefined) return undefined;
    const stored = JSON.parse(json) as StoredAdminSession;
    const session: AdminSession = { ...stored, testRuns: new Map(stored.testRuns) };
    if (now - session.createdAt > this.#maxAgeMs || now - session.lastSeenAt > this.#idleMs) {
      await this.#store.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    await this.#write(key, session);
    return session;
  }

  /** Writes back what the page changed in a session from {@link get} or {@link create}. */
  async save(session: AdminSession): Promise<void> {
    const written = this.#written.get(session);
    if (written === undefined || written.json === toJson(session)) return;
    await this.#write(written.key, session);
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token && ADMIN_SESSION_TOKEN.test(token)) await this.#store.delete(keyOf(token));
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }

  async #write(key: string, session: AdminSession): Promise<void> {
    const json = toJson(session);
    const expiresAt = Math.min(session.createdAt + this.#maxAgeMs, session.lastSeenAt + this.#idleMs);
    await this.#store.set(key, json, new Date(expiresAt + 1), new Date(this.#now()));
    this.#written.set(session, { key, json });
  }
}

function keyOf(token: string): string {
  return `admin-session:${tokenKey(token)}`;
}

function toJson(session: AdminSession): string {
  const stored: StoredAdminSession = { ...session, testRuns: [...session.testRuns] };
  return JSON.stringify(stored);
}

export interface LoginThrottleOptions {
  /**
   * Where failures are counted. The server passes the stores' shared `throttle`, so a guesser spreading
   * attempts over several instances is counted once, and a restart does not reset the count. Default: in
   * process memory (`maxClients` addresses at most).
   */
  store?: ThrottleStore;
  /** Failures one client address may have in the window. Default 10. */
  maxPerClient?: number;
  /**
   * Failures all addresses together may have in the window; beyond it every attempt waits. Default 100.
   * This is what rotating addresses (a botnet, or forged X-Forwarded-For under a too-trusting proxy setting)
   * runs into: they buy fresh per-address buckets, never more guesses than this ceiling per window.
   */
  maxTotal?: number;
  /** The window, opened by a bucket's first failure. Default 15 min. */
  windowMs?: number;
  /** Most addresses the default in-memory store tracks; beyond it the oldest go first. Default 10,000. */
  maxClients?: number;
  now?: () => Date;
}

/** The bucket the global ceiling counts in. Not a valid address, so no client can own it. */
const EVERYONE = '*';

/**
 * Failed sign-ins per client address, and in total: after `maxPerClient` failures of one address, or
 * `maxTotal` failures of all addresses together, within `windowMs` of the bucket's first failure, further
 * attempts are refused until that window has passed. Slows token guessing; a correct token is never needed
 * to unlock, and a success resets only its own address. The counts live in a {@link ThrottleStore}, shared
 * by every instance when the server passes its stores'.
 *
 * @example
 * ```ts
 * const throttle = new LoginThrottle({ store: stores.throttle });
 * if (await throttle.blocked(req.ip ?? 'unknown')) return tooMany();
 * ```
 */
export class LoginThrottle {
  readonly #store: ThrottleStore;
  readonly #maxPerClient: number;
  readonly #maxTotal: number;
  readonly #windowMs: number;
  readonly #now: () => Date;

  constructor(options: LoginThrottleOptions = {}) {
    this.#store = options.store ?? new MemoryThrottleStore({ maxEntries: options.maxClients ?? 10_000 });
    this.#maxPerClient = options.maxPerClient ?? 10;
    this.#maxTotal = options.maxTotal ?? 100;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? (() => new Date());
  }

  /** `at` (epoch ms) overrides the clock, as in tests. */
  async blocked(client: string, at?: number): Promise<boolean> {
    const now = at === undefined ? this.#now() : new Date(at);
    const [total, own] = await Promise.all([
      this.#store.count(throttleKey(EVERYONE), now),
      this.#store.count(throttleKey(bucketOf(client)), now),
    ]);
    return total >= this.#maxTotal || own >= this.#maxPerClient;
  }

  async fail(client: string, at?: number): Promise<void> {
    const now = at === undefined ? this.#now() : new Date(at);
    await Promise.all([
      this.#store.hit(throttleKey(EVERYONE), this.#windowMs, now),
      this.#store.hit(throttleKey(bucketOf(client)), this.#windowMs, now),
    ]);
  }

  /** After a correct token: that address starts afresh; the global count does not. */
  async reset(client: string): Promise<void> {
    await this.#store.reset(throttleKey(bucketOf(client)));
  }
}

function bucketOf(client: string): string {
  return client === EVERYONE ? 'unknown' : client;
}

function throttleKey(bucket: string): string {
  return `admin-login:${bucket}`;
}
