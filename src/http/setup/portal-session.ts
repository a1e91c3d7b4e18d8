/**
 * The portal's session: the setup link's token opens it once (GET /setup/:token), then a cookie carries the
 * portal, so the token leaves the address bar at the first redirect and never rides along in a Referer,
 * a log line or the returnTo of a test sign-in. The session names the link by id; every request re-checks
 * the link, so revoking it ends every session at once.
 *
 * Kept in a {@link StateStore} (Redis, else the database), so any instance serves the portal.
 */

import { AdminError } from '../../sp/admin-errors.ts';
import { looksLikeToken, newToken, tokenKey } from '../../sp/tokens.ts';
import { MemoryStateStore } from '../../store/memory/shared-state.ts';
import type { StateStore } from '../../store/shared-state.ts';
import { tokenMatches } from '../admin/auth.ts';

export type VendorKey = 'okta' | 'entra' | 'adfs' | 'google' | 'keycloak' | 'other';

export interface PortalSession {
  linkId: string;
  /** Every portal form carries it (`_csrf`). */
  csrfToken: string;
  expiresAt: number;
  vendor?: VendorKey;
  /** The latest test sign-in started from this session. */
  test?: { run: string; startedAt: number };
  flash?: { kind: 'ok' | 'error'; text: string; hint?: string; code?: string };
}

export interface PortalSessionsOptions {
  store?: StateStore;
  /**
   * Default 2 h. A session may outlive its link by up to this much: the link is re-checked on every request,
   * so the customer then sees "this link has expired" rather than a bare "open your link again".
   */
  maxAgeMs?: number;
}

export class PortalSessions {
  readonly #store: StateStore;
  readonly maxAgeMs: number;

  constructor(options: PortalSessionsOptions = {}) {
    this.#store = options.store ?? new MemoryStateStore({ maxEntries: 1000 });
    this.maxAgeMs = options.maxAgeMs ?? 2 * 3600_000;
  }

  async create(linkId: string, now: Date): Promise<{ token: string; session: PortalSession }> {
    const token = newToken();
    const session: PortalSession = {
      linkId,
      csrfToken: newToken(),
      expiresAt: now.getTime() + this.maxAgeMs,
    };
    await this.save(token, session, now);
    return { token, session };
  }

  async get(token: string | undefined, now: Date): Promise<PortalSession | undefined> {
    if (!looksLikeToken(token)) return undefined;
    const json = await this.#store.get(key(token), now);
    return json === undefined ? undefined : (JSON.parse(json) as PortalSession);
  }

  async save(token: string, session: PortalSession, now: Date): Promise<void> {
    await this.#store.set(key(token), JSON.stringify(session), new Date(session.expiresAt), now);
  }

  async destroy(token: string | undefined): Promise<void> {
    if (looksLikeToken(token)) await this.#store.delete(key(token));
  }
}

/** Throws ADMIN_CSRF_FAILED (403) unless the form carries the session's token and comes from our origin. */
export function checkPortalCsrf(
  session: PortalSession,
  presented: unknown,
  origin: string | undefined,
  ownOrigin: string,
): void {
  const foreign = origin !== undefined && origin !== 'null' && origin !== ownOrigin;
  if (foreign || typeof presented !== 'string' || !tokenMatches(presented, session.csrfToken)) {
    throw new AdminError('ADMIN_CSRF_FAILED', 'The form was not sent from this setup page.', {
      hint: 'Reload the setup page and submit the form again.',
      status: 403,
    });
  }
}

function key(token: string): string {
  return `setup-session:${tokenKey(token)}`;
}
