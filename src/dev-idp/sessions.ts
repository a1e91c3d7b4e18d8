/**
 * The dev IdP's server-side state, in memory: browser sessions (who signed in, and which SPs got an assertion in
 * that session, which Single Logout will need) and AuthnRequests waiting for the login form.
 *
 * The browser only ever holds random ids: the login form's hidden field names a pending request here, so nothing
 * the browser sends back can change which SP, ACS URL or InResponseTo the response is for.
 */
import { randomBytes } from 'node:crypto';

/** One SP that received an assertion in an IdP session: what a LogoutRequest to it must name. */
export interface SessionParticipant {
  spEntityId: string;
  sessionIndex: string;
  nameId: string;
  firstAssertionAt: Date;
}

/** A signed-in browser. */
export interface IdpSession {
  id: string;
  username: string;
  authnInstant: Date;
  expiresAt: Date;
  /** By SP entityID, in the order the SPs joined. */
  participants: Map<string, SessionParticipant>;
}

/** An AuthnRequest that passed every check and waits for the user to sign in. */
export interface PendingAuthnRequest {
  id: string;
  spEntityId: string;
  requestId: string;
  acsUrl: string;
  relayState?: string;
  expiresAt: Date;
}

/** A random id for cookies and hidden fields: 256 bits, base64url. */
function randomId(): string {
  return randomBytes(32).toString('base64url');
}

/** Caps each map so that a flood of AuthnRequests cannot grow memory without bound; the oldest entries go first. */
const MAX_ENTRIES = 10_000;

function prune<T extends { expiresAt: Date }>(map: Map<string, T>, now: Date): void {
  for (const [id, entry] of map) if (entry.expiresAt <= now) map.delete(id);
  for (const id of map.keys()) {
    if (map.size < MAX_ENTRIES) break;
    map.delete(id);
  }
}

/** The IdP sessions, keyed by the `idp_session` cookie value. */
export class IdpSessionStore {
  readonly #sessions = new Map<string, IdpSession>();
  readonly #lifetimeMs: number;

  constructor(lifetimeSeconds = 8 * 3600) {
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  /** Starts a session for a user who just proved their password. */
  create(username: string, now: Date): IdpSession {
    prune(this.#sessions, now);
    const session: IdpSession = {
      id: randomId(),
      username,
      authnInstant: now,
      expiresAt: new Date(now.getTime() + this.#lifetimeMs),
      participants: new Map(),
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; undefined when unknown or expired. */
  get(id: string | undefined, now: Date): IdpSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session && session.expiresAt <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session and returns it, so that Single Logout can tell its participants. */
  end(id: string | undefined): IdpSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    return session;
  }

  /** Every live session of a user (one per browser they signed in with), oldest first. */
  sessionsOf(username: string, now: Date): IdpSession[] {
    return [...this.#sessions.values()].filter((s) => s.username === username && s.expiresAt > now);
  }

  /**
   * The live sessions in which `spEntityId` took part under `nameId` and, when `sessionIndexes` is non-empty,
   * with one of those SessionIndex values: how a LogoutRequest from an SP finds its session when the browser
   * brings no IdP cookie (as Keycloak does).
   */
  findByParticipant(
    spEntityId: string,
    nameId: string,
    sessionIndexes: readonly string[],
    now: Date,
  ): IdpSession[] {
    return [...this.#sessions.values()].filter((s) => {
      const participant = s.participants.get(spEntityId);
      if (!participant || s.expiresAt <= now || participant.nameId !== nameId) return false;
      return sessionIndexes.length === 0 || sessionIndexes.includes(participant.sessionIndex);
    });
  }

  /**
   * Records that `spEntityId` receives an assertion in this session and returns its participation. An SP that
   * signs in again within the same session keeps its SessionIndex, as Keycloak and ADFS do.
   */
  join(session: IdpSession, spEntityId: string, nameId: string, now: Date): SessionParticipant {
    let participant = session.participants.get(spEntityId);
    if (!participant) {
      participant = {
        spEntityId,
        sessionIndex: `_${randomBytes(16).toString('hex')}`,
        nameId,
        firstAssertionAt: now,
      };
      session.participants.set(spEntityId, participant);
    }
    return participant;
  }
}

/** AuthnRequests waiting for the login form, keyed by the id in its hidden field. */
export class PendingRequestStore {
  readonly #pending = new Map<string, PendingAuthnRequest>();
  readonly #lifetimeMs: number;

  constructor(lifetimeSeconds = 15 * 60) {
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  /** Keeps a verified request; returns the record with its new id. */
  save(request: Omit<PendingAuthnRequest, 'id' | 'expiresAt'>, now: Date): PendingAuthnRequest {
    prune(this.#pending, now);
    const record: PendingAuthnRequest = {
      ...request,
      id: randomId(),
      expiresAt: new Date(now.getTime() + this.#lifetimeMs),
    };
    this.#pending.set(record.id, record);
    return record;
  }

  /** Reads without consuming: a wrong password shows the form again for the same request. */
  get(id: string | undefined, now: Date): PendingAuthnRequest | undefined {
    if (id === undefined) return undefined;
    const record = this.#pending.get(id);
    if (record && record.expiresAt <= now) {
      this.#pending.delete(id);
      return undefined;
    }
    return record;
  }

  /** Consumes the request once the user has signed in, so the same form cannot be replayed. */
  delete(id: string): void {
    this.#pending.delete(id);
  }
}
