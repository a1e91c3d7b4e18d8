/**
 * Storage interfaces. Each is small on purpose: one adapter per backend (memory, SQLite, later PostgreSQL and
 * Redis) implements it, and one contract suite (test/store/*.contract.ts) runs against every adapter.
 *
 * Times are `Date` objects in and out; adapters store them however suits the backend.
 */
import type { Connection, NameId, UserRecord } from '../core/types.ts';
import type { AdminTokenStore, AuditLogStore } from './audit.ts';
import type { ConnectionHealthStore } from './connection-health.ts';
import type { CertificateAlertStore, WebhookStore } from './events.ts';
import type { OidcStore } from './oidc.ts';
import type { OrganizationStore } from './organizations.ts';
import type { StoreCheck } from './readiness.ts';
import type { ScimStore } from './scim.ts';
import type { SetupLinkStore } from './setup-links.ts';
import type { LockStore, StateStore, ThrottleStore } from './shared-state.ts';
import type { SpKeyStore } from './sp-keys.ts';
import type { TraceStore } from './traces.ts';

export type * from './audit.ts';
export type * from './connection-health.ts';
export type * from './events.ts';
export type * from './oidc.ts';
export type { OrganizationStore } from './organizations.ts';
export type { StoreCheck } from './readiness.ts';
export type * from './scim.ts';
export type * from './setup-links.ts';
export type * from './shared-state.ts';
export type * from './sp-keys.ts';
export type * from './traces.ts';

export interface ConnectionStore {
  get(id: string): Promise<Connection | undefined>;
  list(): Promise<Connection[]>;
  /** Insert or replace by id. */
  put(connection: Connection): Promise<void>;
  /** Returns false when there was nothing to delete. */
  delete(id: string): Promise<boolean>;
  /**
   * The connection, unless it is unchanged since `version` (the version an earlier call returned): then
   * `'unchanged'`; undefined when there is no such connection. The SP keeps the parsed connection between
   * sign-ins and asks this at every one, so an edit made on any instance applies at the next request while
   * an unchanged connection is neither transferred whole nor parsed again. Optional: without it the SP reads
   * the connection with `get` each time.
   */
  getIfChanged?(
    id: string,
    version: string | undefined,
  ): Promise<ConnectionVersion | 'unchanged' | undefined>;
}

/** A connection with the opaque version {@link ConnectionStore.getIfChanged} compares. */
export interface ConnectionVersion {
  connection: Connection;
  version: string;
}

/** Facts needed to create or update a user after a successful sign-in. */
export interface UserUpsert {
  /**
   * The id a NEW user gets (ignored when the user exists): the SCIM user id when the sign-in belongs to a user
   * the organization's directory provisioned first, so that both sides name one user (src/scim/linking.ts).
   */
  id?: string;
  connectionId: string;
  nameId: string;
  nameIdFormat?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  groups: string[];
  externalId?: string;
  attributes: Record<string, string[]>;
}

export interface UserStore {
  /** Users are keyed by (connectionId, nameId), never by email alone: two IdPs may assert the same address. */
  upsert(user: UserUpsert, now: Date): Promise<UserRecord>;
  get(id: string): Promise<UserRecord | undefined>;
  findByNameId(connectionId: string, nameId: string): Promise<UserRecord | undefined>;
  list(options?: { connectionId?: string }): Promise<UserRecord[]>;
}

export interface SessionRecord {
  /** The session's lookup key: a hash of the cookie value, never the cookie value itself. */
  id: string;
  userId: string;
  connectionId: string;
  nameId: NameId;
  sessionIndex?: string;
  /** When and how the IdP authenticated the user (AuthnStatement), shown by `/me`, checked by step-up. */
  authn?: SessionAuthn;
  createdAt: Date;
  expiresAt: Date;
}

/** The AuthnStatement facts a session keeps. */
export interface SessionAuthn {
  instant?: Date;
  contextClassRef?: string;
}

/** What a step-up sign-in demanded of the IdP (sent as ForceAuthn, checked against AuthnInstant). */
export interface RequestAuthn {
  forceAuthn?: boolean;
  /** The AuthnInstant must be at most this many seconds old when the response arrives. */
  maxAgeSeconds?: number;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /** Returns undefined for unknown or expired sessions. */
  get(id: string, now: Date): Promise<SessionRecord | undefined>;
  delete(id: string): Promise<boolean>;
  /**
   * Every live session of a connection matching the NameID value and, when given, one of the session indexes.
   * This is how IdP-initiated logout finds sessions without the browser's cookie. `undefined` and an empty list
   * both mean "no SessionIndex filter" (a LogoutRequest without `<SessionIndex>` ends every session of the
   * NameID); results come oldest first.
   */
  findByNameId(
    connectionId: string,
    nameIdValue: string,
    sessionIndexes: string[] | undefined,
    now: Date,
  ): Promise<SessionRecord[]>;
  /** Removes expired sessions; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** An AuthnRequest we sent and have not yet seen answered. */
export interface PendingRequest {
  requestId: string;
  connectionId: string;
  /** Binds the request to the browser that started it (a random value kept in a cookie). */
  browserKey: string;
  returnTo: string;
  /** Step-up demands of this sign-in; absent for an ordinary one. */
  authn?: RequestAuthn;
  createdAt: Date;
  expiresAt: Date;
  /**
   * Set only on a test sign-in's request (src/sp/test-sign-in.ts): the run it belongs to. Such a request never
   * answers a real sign-in: the ACS leaves it out of the expected InResponseTo values and no session follows.
   */
  testRun?: string;
}

export interface RequestIdStore {
  save(request: PendingRequest): Promise<void>;
  /** Reads without consuming: a response that later fails validation must not burn the ID. */
  peek(requestId: string, now: Date): Promise<PendingRequest | undefined>;
  /**
   * The live requests a browser started for a connection (several tabs may each have one). The ACS passes
   * their IDs to the validator as the only acceptable InResponseTo values, so a response issued to another
   * browser is refused even when its request ID is genuine.
   */
  listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]>;
  /** Atomically removes and returns the request; undefined when it was already consumed or has expired. */
  consume(requestId: string, now: Date): Promise<PendingRequest | undefined>;
}

export interface ReplayCache {
  /**
   * Atomically records `key` until `expiresAt`. Returns true the first time, false when the key was already
   * recorded and has not expired: the caller must then refuse the message as a replay.
   */
  remember(key: string, expiresAt: Date, now: Date): Promise<boolean>;
}

/** What a successful sign-in writes: the user (created or updated) and a session for them. */
export interface SignInWrite {
  user: UserUpsert;
  /** The session without its user id, which the upsert decides. */
  session: Omit<SessionRecord, 'userId'>;
  /**
   * The assertion's replay record, written first and in the same unit as the user and the session: when the
   * key is already recorded (and live), nothing is written and `record` returns `'replayed'`. This is the
   * stores' own replay record (`Stores.replay`): a `Stores` whose `signIns` writes elsewhere must not have one.
   */
  replay?: { key: string; expiresAt: Date };
}

/** What {@link SignInStore.record} wrote, and the user as it was before (for user.provisioned / user.updated). */
export interface SignInWritten {
  /** Undefined for a first sign-in. */
  before: UserRecord | undefined;
  user: UserRecord;
  session: SessionRecord;
}

/**
 * Writes a sign-in as one unit: the replay record (when given), the user upsert and the session commit
 * together or not at all. Returns `'replayed'` (and writes nothing) when `write.replay` names a live key.
 */
export interface SignInStore {
  record(write: SignInWrite, now: Date): Promise<SignInWritten | 'replayed'>;
  /**
   * A live session and its user in one read (every request that shows a session: `/me`), as
   * `sessions.get` then `users.get` would answer them; `user` is undefined when the user record is gone.
   * Optional: without it the SP makes those two calls.
   */
  sessionWithUser?(
    id: string,
    now: Date,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined>;
}

/** Everything the SP needs from storage, chosen once from DATABASE_URL / REDIS_URL. */
export interface Stores {
  connections: ConnectionStore;
  users: UserStore;
  sessions: SessionStore;
  requests: RequestIdStore;
  replay: ReplayCache;
  /**
   * Last sign-in success and failure per connection (admin page). Optional so that a backend can ship
   * without it: the server then keeps health in process memory (lost on restart, not shared).
   */
  connectionHealth?: ConnectionHealthStore;
  /**
   * Shared short-lived state (admin sessions, test sign-in results), the admin sign-in throttle and leases
   * (one metadata refresh per connection across instances): see `shared-state.ts`. Optional for the same
   * reason as `connectionHealth`: without them the server keeps them in process memory (one instance only).
   */
  state?: StateStore;
  /**
   * Sign-in and logout traces (issue #13). Optional like `connectionHealth`: without it the server keeps
   * them in process memory.
   */
  traces?: TraceStore;
  throttle?: ThrottleStore;
  locks?: LockStore;
  /** The SCIM directory (src/scim): users, groups and tokens per organization. Optional like the others. */
  scim?: ScimStore;
  /**
   * The SP key ring (src/keys): key records and metadata fetches. Optional so that other backends keep
   * compiling; without it the SP uses its key files alone.
   */
  spKeys?: SpKeyStore;
  /**
   * The append-only audit log of admin actions, and the named admin tokens (issue #13). Optional for the same
   * reason as `connectionHealth`: without them the server keeps both in process memory.
   */
  auditLog?: AuditLogStore;
  adminTokens?: AdminTokenStore;
  /**
   * Webhook endpoints and the event outbox with its delivery log (issue #13). Optional like the others:
   * without it events reach in-process listeners only, and the server keeps endpoints in memory.
   */
  webhooks?: WebhookStore;
  /** Certificate-expiry alerts already raised, so each threshold is raised once per certificate. */
  certificateAlerts?: CertificateAlertStore;
  /**
   * Organizations (customers) and their email domains. Optional so that a hand-built `Stores` keeps
   * compiling: the ServiceProvider then keeps them in process memory (`sp.organizations`).
   */
  organizations?: OrganizationStore;
  /**
   * Setup links and their use log (issue #12). Optional so that other backends keep compiling; the server
   * falls back to process memory without it.
   */
  setupLinks?: SetupLinkStore;
  /** The OpenID bridge's clients, keys and provider records (issue #17). Optional, like the others. */
  oidc?: OidcStore;
  /**
   * A successful sign-in's writes (the assertion's replay record, the user, then a session for them) in one
   * transaction: one commit on SQLite. Only where users, sessions and the replay record live in the same
   * database (it writes `SignInWrite.replay` to that database's replay record); without it the SP makes the same
   * calls on `users` and `sessions` one after the other (`sequentialSignIns`, src/store/sign-ins.ts).
   */
  signIns?: SignInStore;
  /** Readiness checks (`GET /readyz`): the database, and Redis when configured. */
  checks?: readonly StoreCheck[];
  close(): Promise<void>;
}
