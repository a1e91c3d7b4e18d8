/**
 * Admin authentication: the bearer token of the API, the sign-in form of the page, and the server-side admin
 * sessions the page runs on.
 *
 * The token is compared in constant time over SHA-256 digests of both sides (equal lengths, so
 * timingSafeEqual never throws and the token's length does not leak). Without ADMIN_TOKEN every call is
 * refused with ADMIN_TOKEN_NOT_SET: an admin surface with no credential must not fall open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AdminError } from '../../sp/admin-errors.ts';
import { newToken, tokenKey } from '../../sp/tokens.ts';

/** True when `presented` equals `configured`, compared in constant time. */
export function tokenMatches(presented: string | undefined, configured: string | undefined): boolean {
  if (!configured || presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(configured, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function tokenNotSet(): AdminError {
  return new AdminError('ADMIN_TOKEN_NOT_SET', 'The admin API is disabled: ADMIN_TOKEN is not set.', {
    hint: 'Set ADMIN_TOKEN (at least 16 random characters, e.g. `openssl rand -base64 32`) in the server environment and restart.',
    status: 503,
  });
}

/** Express middleware for the JSON API: `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireBearer(adminToken: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!adminToken) {
      next(tokenNotSet());
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!tokenMatches(match?.[1], adminToken)) {
      next(
        new AdminError('ADMIN_UNAUTHORIZED', 'Missing or wrong admin token.', {
          hint: 'Send the header `Authorization: Bearer $ADMIN_TOKEN`.',
          status: 401,
        }),
      );
      return;
    }
    next();
  };
}

/** One signed-in admin browser. */
export interface AdminSession {
  /** The synchroniser token every state-changing form of this session must carry. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Test sign-ins this session started: run token -> connection id. */
  testRuns: Map<string, { connectionId: string; startedAt: number }>;
  /** One message for the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

export interface AdminSessionOptions {
  /** Absolute lifetime. Default 8 h. */
  maxAgeMs?: number;
  /** Idle timeout. Default 1 h. */
  idleMs?: number;
  /** Most sessions kept; the oldest goes first. Default 1000. */
  maxSessions?: number;
  now?: () => number;
}

/**
 * Admin sessions in process memory, keyed by a hash of the cookie value (a heap dump does not hand out
 * sessions). Several instances behind a load balancer need sticky sessions for the admin page.
 */
export class AdminSessions {
  readonly #sessions = new Map<string, AdminSession>();
  readonly #maxAgeMs: number;
  readonly #idleMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: AdminSessionOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
    this.#idleMs = options.idleMs ?? 3600_000;
    this.#max = options.maxSessions ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session; returns the cookie value. */
  create(): { token: string; session: AdminSession } {
    const now = this.#now();
    if (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const token = newToken();
    const session: AdminSession = {
      csrfToken: newToken(),
      createdAt: now,
      lastSeenAt: now,
      testRuns: new Map(),
    };
    this.#sessions.set(tokenKey(token), session);
    return { token, session };
  }

  /** The live session of a cookie value, refreshing its idle timer. */
  get(token: string | undefined): AdminSession | undefined {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const key = tokenKey(token);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    const now = this.#now();
    if (now - session.createdAt > this.#maxAgeMs || now - session.lastSeenAt > this.#idleMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(token: string | undefined): void {
    if (token) this.#sessions.delete(tokenKey(token));
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs;
  }
}

/**
 * Failed sign-ins per client address: after `max` failures in `windowMs`, further attempts are refused
 * until the window passes. Slows token guessing; a correct token is never needed to unlock.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(max = 10, windowMs = 15 * 60_000) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  blocked(key: string, now = Date.now()): boolean {
    const recent = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent.length >= this.#max;
  }

  fail(key: string, now = Date.now()): void {
    if (this.#failures.size > 10_000) this.#failures.clear();
    this.#failures.set(key, [...(this.#failures.get(key) ?? []), now]);
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }
}
