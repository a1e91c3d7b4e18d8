/**
 * The SP as an application service: connections + core + stores. HTTP-free, so the Express router, the
 * passport strategy, the CLI and tests all drive the same object.
 *
 * The ACS sequence is the security-relevant part and reads top to bottom in `acs()`:
 * pending requests of this browser -> strict validation (src/core/response) -> consume the request ID (only
 * now, so a forged response cannot burn a genuine one) -> attribute mapping -> organization policy -> replay
 * record + user + session (one transaction where the stores allow it; the replay record first, so a replayed
 * assertion gets no session).
 */
import { connectionStatus } from '../core/connection-lifecycle.ts';
import { InvalidOptionError, isSamlSpError, SamlSpError } from '../core/errors.ts';
import { mapAttributes } from '../core/mapping/map-attributes.ts';
import { buildSpMetadataWith } from '../core/metadata/sp-metadata.ts';
import type { Organization } from '../core/organization.ts';
import { checkSignInPolicy } from '../core/organization-policy.ts';
import { buildAuthnRequest, chooseSsoBinding, encodeAuthnRequest } from '../core/request/authn-request.ts';
import { acceptableLoginHint, LOGIN_HINT_METHODS } from '../core/request/login-hint.ts';
import {
  type CheckTrace,
  type RequestAuthnRequirements,
  validateResponse,
} from '../core/response/validate-response.ts';
import type {
  Connection,
  KeyPair,
  MappedProfile,
  SpIdentity,
  UserRecord,
  ValidatedAssertion,
} from '../core/types.ts';
import { EventBus } from '../events/index.ts';
import type { KeyRing } from '../keys/index.ts';
import { createSpMetrics, errorCodeLabel, type SpMetrics } from '../metrics/index.ts';
import { withConfigSnapshot } from '../store/config-snapshot.ts';
import { MemoryOrganizationStore } from '../store/memory/organizations.ts';
import { sequentialSignIns } from '../store/sign-ins.ts';
import type {
  OrganizationStore,
  PendingRequest,
  RequestAuthn,
  SessionRecord,
  SignInStore,
  Stores,
} from '../store/types.ts';
import { newTraceId, peekResponse } from '../trace/index.ts';
import { ConnectionCache, OrganizationCache } from './connection-cache.ts';
import { type Discovery, discover } from './discovery.ts';
import { safeReturnTo } from './return-to.ts';
import { newToken, tokenKey } from './tokens.ts';
import type { UserDirectory } from './user-directory.ts';

export interface SignInFacts {
  connection: Connection;
  assertion: ValidatedAssertion;
  profile: MappedProfile;
  /**
   * The connection's organization. Its domain policy has been applied already; its JIT policy only with the
   * built-in user store: with `findOrCreateUser`, refuse unknown users yourself when `policy.jit` is false.
   */
  organization?: Organization;
}

export interface ServiceProviderOptions {
  /** External base URL, e.g. https://app.example.com. ACS/SLO/metadata URLs derive from it. */
  baseUrl: string;
  /** The SP entity ID (a connection may override it). */
  entityId: string;
  keys: { signing: KeyPair; encryption: KeyPair };
  /**
   * The SP key ring (src/keys): per-connection or global keys with a next -> active -> retired rollover,
   * possibly held outside the process. Where it has an active key it takes precedence over `keys`.
   */
  keyRing?: Pick<KeyRing, 'keysFor'>;
  stores: Stores;
  /** Where the SAML routes are mounted under baseUrl. Default '/saml'. */
  routePrefix?: string;
  /** Upper bound of a local session, in seconds (the IdP's SessionNotOnOrAfter may shorten it). Default 8 h. */
  sessionTtlSeconds?: number;
  /** How long an AuthnRequest stays answerable, in seconds. Default 10 min. */
  requestTtlSeconds?: number;
  /**
   * How many AuthnRequests one browser may have outstanding per connection (several tabs each start one).
   * Starting one more forgets that browser's oldest, so a browser that loops on `/login` evicts only its own
   * requests, never another browser's. Default {@link DEFAULT_MAX_PENDING_PER_BROWSER}.
   */
  maxPendingRequestsPerBrowser?: number;
  /** Injectable clock for tests. */
  now?: () => Date;
  /**
   * Bring your own user store: called after each successful sign-in instead of the built-in user store.
   * Return the local user; its `id` is kept in the session.
   */
  findOrCreateUser?: (facts: SignInFacts) => Promise<UserRecord>;
  /** With `findOrCreateUser`: loads one of your users by the id it returned (sessions keep only the id). */
  getUser?: (id: string) => Promise<UserRecord | undefined>;
  /**
   * Told about every ACS outcome (the admin page's per-connection health, your metrics). Awaited, but its
   * errors are swallowed: recording an outcome never changes it.
   */
  onSignInResult?: (event: SignInEvent) => void | Promise<void>;
  /**
   * The organization's user directory (SCIM): refuses deprovisioned users at the ACS, links a sign-in to the
   * user it provisioned, and overlays its groups and active state whenever a session's user is loaded.
   */
  directory?: UserDirectory;
  /**
   * The OpenTelemetry instruments sign-ins and refreshes are counted on. Default: `createSpMetrics()` on the
   * global MeterProvider of `@opentelemetry/api` (a no-op unless your app registered an SDK).
   */
  metrics?: SpMetrics;
  /**
   * The lifecycle event bus (`sp.events`). Default: a bus writing to `stores.webhooks` (the webhook outbox)
   * when the stores have one, on this SP's clock.
   */
  events?: EventBus;
}

/** One ACS outcome, for {@link ServiceProviderOptions.onSignInResult}. */
export type SignInEvent = (
  | { ok: true; connectionId: string; at: Date; result: SignInResult }
  | { ok: false; connectionId: string; at: Date; error: unknown }
) & { attempt?: SignInAttempt };

/** Who sent an ACS request, for the trace (the HTTP adapter fills it in; the SP never reads it). */
export interface ClientFacts {
  ip?: string;
  userAgent?: string;
}

/** What the SP learnt while it handled one ACS attempt: the trace's raw material (issue #13). */
export interface SignInAttempt {
  /** The ID the end-user page, the log and the trace share. */
  traceId: string;
  /** The whole checklist, as `saml-sp inspect` prints it (empty when the message never reached it). */
  checks: CheckTrace[];
  /**
   * True when a signature verified and the message answered a pending request of this browser (always true
   * for a sign-in that succeeded). Only such a failure may change what an admin sees (connection health):
   * anyone can POST anything to an ACS.
   */
  verified: boolean;
  /** The connection's display name and organization, once the connection was found. */
  connectionName?: string;
  organizationId?: string;
  client?: ClientFacts;
  /** The SAMLResponse as posted: kept (sealed) only while an admin captures raw messages. */
  samlResponse?: string;
}

/** The input of {@link ServiceProvider.acs}. */
export interface AcsInput {
  samlResponse: unknown;
  relayState?: unknown;
  browserKey?: string | undefined;
  /** The trace ID to use (the HTTP adapter makes it first, so its error page shows it); default: a new one. */
  traceId?: string;
  client?: ClientFacts;
}

/** Input of {@link ServiceProvider.startLogin}. */
export interface LoginInput {
  returnTo?: unknown;
  browserKey: string;
  /** Ask the IdP to authenticate the user afresh (ForceAuthn="true"), e.g. before changing billing. */
  forceAuthn?: boolean;
  /**
   * Refuse the response (SAML_AUTHN_TOO_OLD) when the user authenticated at the IdP more than this many
   * seconds ago (plus the connection's clock skew). With `forceAuthn` the IdP is asked to make it fresh.
   */
  maxAge?: number;
  /** The email typed on the discovery page: sent as a login hint where the IdP reads one (login-hint.ts). */
  loginHint?: unknown;
  /**
   * Marks the request as a test sign-in's (src/sp/test-sign-in.ts): allowed on a connection that is not
   * active yet, and never answered by a real sign-in.
   */
  testRun?: string;
}

/** The longest maxAge accepted: a day. Longer is no step-up, and a typo should not silently mean "any". */
export const MAX_STEP_UP_AGE_SECONDS = 86_400;

export type LoginStart =
  | { binding: 'redirect'; requestId: string; url: string }
  | { binding: 'post'; requestId: string; action: string; fields: Record<string, string> };

export interface SignInResult {
  user: UserRecord;
  /** The cookie value; the store keeps only its hash. */
  sessionToken: string;
  session: SessionRecord;
  returnTo: string;
  assertion: ValidatedAssertion;
  profile: MappedProfile;
}

const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;
const DEFAULT_REQUEST_TTL_SECONDS = 600;
/** The default of {@link ServiceProviderOptions.maxPendingRequestsPerBrowser}. */
export const DEFAULT_MAX_PENDING_PER_BROWSER = 10;

export class ServiceProvider {
  readonly baseUrl: string;
  /** Where sign-ins (here) and metadata refreshes (ConnectionService) are counted. */
  readonly metrics: SpMetrics;
  readonly entityId: string;
  readonly routePrefix: string;
  readonly stores: Stores;
  /**
   * Lifecycle events (sign-ins, users, sessions, logout, connections, metadata, certificates): listen with
   * `sp.events.on('signin.failed', (event) => …)`. A listener's error never changes a sign-in.
   */
  readonly events: EventBus;
  /** Unverified sign-in failures per connection: at most one `signin.failed` per minute each (see #emitSignIn). */
  readonly #unverifiedFailures = new Map<string, number>();
  /** The stores' organizations, or an in-process store when the stores have none (a hand-built `Stores`). */
  readonly organizations: OrganizationStore;
  readonly #keys: { signing: KeyPair; encryption: KeyPair };
  readonly #keyRing: Pick<KeyRing, 'keysFor'> | undefined;
  readonly #sessionTtlMs: number;
  readonly #requestTtlMs: number;
  readonly #maxPendingPerBrowser: number;
  readonly #metadataCache = new Map<string, { version: string; xml: string }>();
  readonly #now: () => Date;
  readonly #findOrCreateUser: ((facts: SignInFacts) => Promise<UserRecord>) | undefined;
  readonly #getUser: (id: string) => Promise<UserRecord | undefined>;
  /** Users live in `stores.users` (no `getUser` of your own): a session's user can be read with it. */
  readonly #builtInUsers: boolean;
  readonly #sessionEndListeners = new Set<(sessions: readonly SessionRecord[]) => void | Promise<void>>();
  readonly #onSignInResult: ((event: SignInEvent) => void | Promise<void>) | undefined;
  readonly #directory: UserDirectory | undefined;
  /** A sign-in's user and session writes: in one transaction where the stores can (src/store/sign-ins.ts). */
  readonly #signIns: SignInStore;
  readonly #connectionCache: ConnectionCache;
  readonly #organizationCache: OrganizationCache;

  constructor(options: ServiceProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.entityId = options.entityId;
    this.routePrefix = `/${(options.routePrefix ?? '/saml').replace(/^\/+|\/+$/g, '')}`;
    this.stores = options.stores;
    this.organizations = options.stores.organizations ?? new MemoryOrganizationStore();
    this.#signIns = options.stores.signIns ?? sequentialSignIns(options.stores);
    this.#connectionCache = new ConnectionCache(options.stores.connections);
    this.#organizationCache = new OrganizationCache(this.organizations);
    this.#keys = options.keys;
    this.#keyRing = options.keyRing;
    this.#sessionTtlMs = (options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000;
    this.#requestTtlMs = (options.requestTtlSeconds ?? DEFAULT_REQUEST_TTL_SECONDS) * 1000;
    this.#maxPendingPerBrowser = options.maxPendingRequestsPerBrowser ?? DEFAULT_MAX_PENDING_PER_BROWSER;
    if (!Number.isInteger(this.#maxPendingPerBrowser) || this.#maxPendingPerBrowser < 1) {
      throw new InvalidOptionError(
        `ServiceProvider: maxPendingRequestsPerBrowser must be a positive integer, got ${String(options.maxPendingRequestsPerBrowser)}`,
      );
    }
    this.#now = options.now ?? (() => new Date());
    this.#findOrCreateUser = options.findOrCreateUser;
    if (options.findOrCreateUser && !options.getUser) {
      throw new InvalidOptionError(
        'ServiceProvider: findOrCreateUser needs getUser too, so that sessions can load your users.',
      );
    }
    this.#getUser = options.getUser ?? ((id) => this.stores.users.get(id));
    this.#builtInUsers = options.getUser === undefined;
    this.#onSignInResult = options.onSignInResult;
    this.#directory = options.directory;
    this.metrics = options.metrics ?? createSpMetrics();
    this.events =
      options.events ??
      new EventBus({ ...(this.stores.webhooks ? { outbox: this.stores.webhooks } : {}), now: this.#now });
  }

  /**
   * The SP values for one connection: what the customer's IdP admin pastes into their console. The entity ID
   * follows `spEntityIdMode`: the connection's own (its metadata URL), the shared SP_ENTITY_ID, or a custom one.
   */
  spIdentity(connection: Pick<Connection, 'id' | 'spEntityId' | 'spEntityIdMode'>): SpIdentity {
    const base = `${this.baseUrl}${this.routePrefix}/${encodeURIComponent(connection.id)}`;
    const metadataUrl = `${base}/metadata`;
    return {
      entityId:
        connection.spEntityId ?? (connection.spEntityIdMode === 'connection' ? metadataUrl : this.entityId),
      acsUrl: `${base}/acs`,
      sloUrl: `${base}/slo`,
      metadataUrl,
      signing: this.#keys.signing,
      encryption: this.#keys.encryption,
    };
  }

  /**
   * {@link spIdentity} with the key ring's keys for this connection: the active signing key, the published
   * next/active certificates, every non-retired decryption key. What signing and the ACS use.
   */
  async spIdentityFor(
    connection: Pick<Connection, 'id' | 'spEntityId'>,
  ): Promise<SpIdentity & { keysVersion: string }> {
    const base = this.spIdentity(connection);
    const ring = await this.#keyRing?.keysFor(connection.id);
    if (!ring) return { ...base, keysVersion: 'files' };
    const { version, ...keys } = ring;
    return { ...base, ...keys, keysVersion: version };
  }

  /** Loads a connection or fails with SAML_CONNECTION_NOT_FOUND (404). */
  async connection(connectionId: string): Promise<Connection> {
    return this.#found(connectionId, await this.stores.connections.get(connectionId));
  }

  /**
   * {@link connection} for the sign-in path (login, ACS): the parsed connection is kept between requests and
   * re-read only when the store says it changed (src/sp/connection-cache.ts). Frozen: never edit it.
   */
  async #signInConnection(connectionId: string): Promise<Connection> {
    return this.#found(connectionId, await this.#connectionCache.get(connectionId));
  }

  #found(connectionId: string, connection: Connection | undefined): Connection {
    if (!connection) {
      throw new SamlSpError('SAML_CONNECTION_NOT_FOUND', `There is no connection "${connectionId}".`, {
        hint: 'Check the connection id in the URL, or create the connection (admin page, API or `saml-sp connections add`).',
        status: 404,
      });
    }
    return connection;
  }

  /** Signed SP metadata for a connection. */
  async metadata(connectionId: string): Promise<string> {
    return this.metadataFor(await this.connection(connectionId));
  }

  /**
   * Signed SP metadata for a connection already loaded, signed once per connection version (`updatedAt`)
   * and key-ring version: the metadata URL is public, and an RSA signature per anonymous GET is work an
   * attacker can order for free (and, with a KMS, a billed call).
   */
  async metadataFor(connection: Connection): Promise<string> {
    const sp = await this.spIdentityFor(connection);
    const version = `${connection.updatedAt}|${sp.keysVersion}`;
    const cached = this.#metadataCache.get(connection.id);
    if (cached?.version === version) return cached.xml;
    const xml = await buildSpMetadataWith(sp);
    // One entry per connection that exists (unknown ids never get here), replaced when its version changes.
    this.#metadataCache.set(connection.id, { version, xml });
    return xml;
  }

  /**
   * Starts SP-initiated SSO: builds a signed AuthnRequest for the binding the IdP offers and records the
   * request ID against this browser.
   */
  async startLogin(connectionId: string, input: LoginInput): Promise<LoginStart> {
    // One read of the configuration's change counters for the connection and the key ring (SQLite).
    return withConfigSnapshot(() => this.#startLogin(connectionId, input));
  }

  async #startLogin(connectionId: string, input: LoginInput): Promise<LoginStart> {
    const connection = await this.#signInConnection(connectionId);
    // A test run (src/sp/test-sign-in.ts) is the only way into a connection that is not active yet.
    if (input.testRun === undefined) assertActive(connection);
    const sp = await this.spIdentityFor(connection);
    const now = this.#now();
    const authn = stepUpOf(input);
    const { binding } = chooseSsoBinding(connection);
    // The email the user typed on the discovery page, passed on the way the connection's IdP reads it.
    const loginHint = acceptableLoginHint(input.loginHint);
    const hintMethod = loginHint ? LOGIN_HINT_METHODS[connection.preset] : 'none';
    const request = buildAuthnRequest({
      sp,
      connection,
      binding,
      now,
      ...(authn?.forceAuthn ? { forceAuthn: true } : {}),
      ...(hintMethod === 'subject-name-id' ? { subjectNameId: loginHint } : {}),
    });
    const returnTo = safeReturnTo(input.returnTo);
    await this.#makeRoomForBrowser(input.browserKey, connectionId, now);
    await this.stores.requests.save({
      requestId: request.id,
      connectionId,
      browserKey: input.browserKey,
      returnTo,
      ...(authn ? { authn } : {}),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#requestTtlMs),
      ...(input.testRun !== undefined ? { testRun: input.testRun } : {}),
    });
    // RelayState carries only the already-sanitised path; the authoritative returnTo is the stored one.
    const out = await encodeAuthnRequest(
      { xml: request.xml, destination: request.destination, relayState: returnTo, sp, connection },
      binding,
    );
    if (out.binding === 'redirect') {
      // Entra reads the typed email as a `login_hint` query parameter (core/request/login-hint.ts).
      const url =
        hintMethod === 'query-login-hint' && loginHint
          ? `${out.url}&login_hint=${encodeURIComponent(loginHint)}`
          : out.url;
      return { binding: 'redirect', requestId: request.id, url };
    }
    return { binding: 'post', requestId: request.id, action: out.action, fields: out.fields };
  }

  /**
   * Keeps one browser under its cap of outstanding requests by forgetting its own oldest ones. Done here, on
   * the store's small interface, so every backend gets the same policy. Two concurrent logins of one browser
   * may both pass the check: the cap can be exceeded by the concurrency of a single browser, not more.
   */
  async #makeRoomForBrowser(browserKey: string, connectionId: string, now: Date): Promise<void> {
    const outstanding = await this.stores.requests.listForBrowser(browserKey, connectionId, now);
    const excess = outstanding.length - this.#maxPendingPerBrowser + 1;
    for (const oldest of outstanding.slice(0, Math.max(0, excess))) {
      await this.stores.requests.consume(oldest.requestId, now);
    }
  }

  /** Assertion Consumer Service: validates a SAMLResponse and, only if every check passes, signs the user in. */
  async acs(connectionId: string, input: AcsInput): Promise<SignInResult> {
    const started = performance.now();
    const attempt: SignInAttempt = {
      traceId: input.traceId ?? newTraceId(),
      checks: [],
      verified: false,
      ...(input.client ? { client: input.client } : {}),
      ...(typeof input.samlResponse === 'string' ? { samlResponse: input.samlResponse } : {}),
    };
    const pending: string[] = [];
    let event: SignInEvent;
    try {
      // One read of the change counters for the connection, the key ring and the organization (SQLite).
      const result = await withConfigSnapshot(() => this.#acs(connectionId, input, attempt, pending));
      attempt.verified = true;
      event = { ok: true, connectionId, at: this.#now(), result, attempt };
    } catch (error) {
      attempt.verified = answeredThisBrowser(attempt.checks, pending, input.samlResponse);
      event = { ok: false, connectionId, at: this.#now(), error, attempt };
    }
    // attempt.connectionName is set once the connection loaded: only stored connections become metric labels.
    this.#count(event, attempt.connectionName !== undefined, (performance.now() - started) / 1000);
    await this.#report(event);
    await this.#emitSignIn(event);
    if (!event.ok) throw event.error;
    return event.result;
  }

  /**
   * Reports an ACS attempt refused before the SP saw it (the HTTP adapter could not read the body), so that
   * it is traced like every other attempt. Never throws.
   */
  async reportAcsRefusal(
    connectionId: string,
    error: unknown,
    facts: { traceId: string; client?: ClientFacts },
  ): Promise<void> {
    const attempt: SignInAttempt = { traceId: facts.traceId, checks: [], verified: false };
    if (facts.client) attempt.client = facts.client;
    await this.#report({ ok: false, connectionId, at: this.#now(), error, attempt });
  }

  async #report(event: SignInEvent): Promise<void> {
    try {
      await this.#onSignInResult?.(event);
    } catch {
      // Recording an outcome must never change it.
    }
  }

  #count(event: SignInEvent, known: boolean, seconds: number): void {
    const code = event.ok ? 'none' : errorCodeLabel(event.error);
    // Only stored connections become labels: a stranger must not grow the label set by inventing ids.
    const connection = known ? event.connectionId : '(unknown)';
    const outcome = event.ok ? 'success' : 'failure';
    this.metrics.signIns.add(1, { connection, outcome, error_code: code });
    this.metrics.acsDuration.record(seconds, { connection, outcome });
  }

  async #acs(
    connectionId: string,
    input: AcsInput,
    attempt: SignInAttempt,
    pendingIds: string[],
  ): Promise<SignInResult> {
    if (typeof input.samlResponse !== 'string' || input.samlResponse.length === 0) {
      throw new SamlSpError('SAML_MESSAGE_MISSING', 'The POST body has no SAMLResponse field.', {
        hint: 'The IdP must POST the response to this ACS URL with the HTTP-POST binding.',
      });
    }
    const connection = await this.#signInConnection(connectionId);
    attempt.connectionName = connection.displayName;
    if (connection.organizationId) attempt.organizationId = connection.organizationId;
    assertActive(connection);
    const sp = await this.spIdentityFor(connection);
    const now = this.#now();
    // A test sign-in's request never answers a real sign-in (src/sp/test-sign-in.ts handles those responses).
    const pending = input.browserKey
      ? (await this.stores.requests.listForBrowser(input.browserKey, connectionId, now)).filter(
          (p) => p.testRun === undefined,
        )
      : [];
    pendingIds.push(...pending.map((p) => p.requestId));

    const assertion = await validateResponse(input.samlResponse, {
      connection,
      sp: {
        entityId: sp.entityId,
        acsUrl: sp.acsUrl,
        decryptionKeyPem: sp.encryption.privateKeyPem,
        ...(sp.decryption ? { decryption: sp.decryption } : {}),
      },
      now,
      expectedRequestIds: pending.map((p) => p.requestId),
      trace: attempt.checks,
      requestRequirements: requirementsOf(pending),
    }).catch((err: unknown) => this.#explainReplay(err, connectionId, now));

    const replay = { key: replayKey(connectionId, assertion.assertionId), expiresAt: assertion.notOnOrAfter };
    // With the built-in user store the replay record is written in the sign-in's own unit (#provision: one
    // transaction with the user and the session on SQLite), committed before any session is given out. Your
    // own `findOrCreateUser` may have effects of its own, so it is only called for an assertion recorded here.
    if (this.#findOrCreateUser && !(await this.stores.replay.remember(replay.key, replay.expiresAt, now))) {
      throw replayed(assertion.assertionId);
    }
    let returnTo = safeReturnTo(input.relayState);
    if (assertion.inResponseTo !== undefined) {
      const consumed = await this.stores.requests.consume(assertion.inResponseTo, now);
      if (
        !consumed ||
        consumed.browserKey !== input.browserKey ||
        consumed.connectionId !== connectionId ||
        consumed.testRun !== undefined
      ) {
        throw new SamlSpError('SAML_REPLAYED', `Request ${assertion.inResponseTo} was already answered.`, {
          hint: 'Each AuthnRequest can be answered once. Start the sign-in again.',
          details: { inResponseTo: assertion.inResponseTo },
        });
      }
      // Stored by startLogin after the same check; checked again in case an older version stored it.
      returnTo = safeReturnTo(consumed.returnTo);
    }

    const profile = mapAttributes({
      attributes: assertion.attributes,
      nameId: assertion.nameId,
      preset: connection.preset,
      overrides: connection.attributeMapping,
    });
    // The organization's policy, on facts that passed every SAML check: verified email domains, JIT.
    const organization = await this.#organizationOf(connection);
    if (organization) {
      checkSignInPolicy({
        organization,
        connectionId,
        profile,
        userExists: organization.policy.jit || (await this.#userExists(connection, assertion)),
      });
    }
    const sessionToken = newToken();
    const { user, session } = await this.#provision(
      { connection, assertion, profile, ...(organization ? { organization } : {}) },
      {
        id: tokenKey(sessionToken),
        connectionId,
        nameId: assertion.nameId,
        ...(assertion.sessionIndex !== undefined ? { sessionIndex: assertion.sessionIndex } : {}),
        ...sessionAuthnOf(assertion),
        createdAt: now,
        expiresAt: this.#sessionExpiry(now, assertion.sessionNotOnOrAfter),
      },
      replay,
      now,
    );
    return { user, sessionToken, session, returnTo, assertion, profile };
  }

  /**
   * `signin.succeeded` or `signin.failed`. A failure is only an admin's business when the connection exists;
   * one that happened before the signature verified came from an unknown sender, so it carries the code only
   * and at most one per connection per minute is emitted (a stranger POSTing garbage cannot flood receivers).
   */
  async #emitSignIn(event: SignInEvent): Promise<void> {
    if (event.ok) {
      const { user, assertion } = event.result;
      await this.events.emit('signin.succeeded', {
        connectionId: event.connectionId,
        userId: user.id,
        ...(assertion.authnContextClassRef !== undefined
          ? { authnContextClassRef: assertion.authnContextClassRef }
          : {}),
      });
      return;
    }
    // SAML codes, and the stable codes of other failures (STORE_UNAVAILABLE); never an arbitrary message.
    const raw = (event.error as { code?: unknown } | null)?.code;
    const code = isSamlSpError(event.error)
      ? event.error.code
      : typeof raw === 'string' && /^[A-Z][A-Z0-9_]{2,63}$/.test(raw)
        ? raw
        : 'INTERNAL_ERROR';
    if (code === 'SAML_CONNECTION_NOT_FOUND') return;
    // The sender is known once a Response or Assertion signature verified (the checklist the trace records).
    const signatureVerified = (event.attempt?.checks ?? []).some(
      (c) => (c.check === 'response-signature' || c.check === 'assertion-signature') && c.status === 'pass',
    );
    if (!signatureVerified) {
      const last = this.#unverifiedFailures.get(event.connectionId) ?? 0;
      if (event.at.getTime() - last < 60_000) return;
      this.#unverifiedFailures.set(event.connectionId, event.at.getTime());
    }
    await this.events.emit('signin.failed', { connectionId: event.connectionId, code, signatureVerified });
  }

  /** The session and user behind a session cookie value, if it is live. */
  async session(
    sessionToken: string,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined> {
    // One configuration snapshot for the request: on SQLite the session read carries the change counters.
    return withConfigSnapshot(async () => {
      const found = await this.#sessionWithUser(tokenKey(sessionToken), this.#now());
      if (!found) return undefined;
      const { session, user } = found;
      return { session, user: user && this.#directory ? await this.#directory.current(user) : user };
    });
  }

  /** With the built-in user store and a store that reads both at once (SQLite: one join), one read. */
  async #sessionWithUser(
    id: string,
    now: Date,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined> {
    if (this.#builtInUsers && this.#signIns.sessionWithUser) return this.#signIns.sessionWithUser(id, now);
    const session = await this.stores.sessions.get(id, now);
    return session && { session, user: await this.#getUser(session.userId) };
  }

  /**
   * Sign-in by work email: the organization that holds the address's domain verified, and its connections
   * that can take sign-ins (several: let the user choose). Undefined when there is none.
   *
   * @example
   * ```ts
   * const found = await sp.discover('alice@acme.com');
   * if (found) res.redirect(`/saml/${found.connections[0].id}/login?login_hint=alice@acme.com`);
   * ```
   */
  discover(email: string): Promise<Discovery | undefined> {
    return discover({ organizations: this.organizations, connections: this.stores.connections }, email);
  }

  /**
   * Whether the app must send this user to SSO instead of offering a password: the address's domain is
   * verified by an organization whose policy has `ssoRequired`, and that organization has a usable connection.
   *
   * @example
   * ```ts
   * if (await sp.requiresSso(email)) return res.redirect(`/saml/discover?email=${encodeURIComponent(email)}`);
   * ```
   */
  async requiresSso(email: string): Promise<boolean> {
    const found = await this.discover(email);
    return found?.organization.policy.ssoRequired === true;
  }

  /** The connection's organization, kept parsed between sign-ins like the connection (frozen: never edit it). */
  async #organizationOf(connection: Connection): Promise<Organization | undefined> {
    return connection.organizationId === undefined
      ? undefined
      : this.#organizationCache.get(connection.organizationId);
  }

  async #userExists(connection: Connection, assertion: ValidatedAssertion): Promise<boolean> {
    // Your own user store decides for itself (SignInFacts.organization carries the policy).
    if (this.#findOrCreateUser) return true;
    return (await this.stores.users.findByNameId(connection.id, assertion.nameId.value)) !== undefined;
  }

  /** The SP's clock (injectable through `options.now`): the logout module and other services share it. */
  now(): Date {
    return this.#now();
  }

  /** Ends one local session. */
  async endSession(sessionToken: string): Promise<boolean> {
    const id = tokenKey(sessionToken);
    const session =
      this.#sessionEndListeners.size > 0 ? await this.stores.sessions.get(id, this.#now()) : undefined;
    const ended = await this.stores.sessions.delete(id);
    if (ended && session) await this.sessionsEnded([session]);
    return ended;
  }

  /**
   * Subscribes to the end of local sessions (sign-out, SP- or IdP-initiated Single Logout): the OpenID bridge
   * ends the OpenID sessions and refresh tokens that grew from them. Returns the unsubscribe function.
   */
  onSessionsEnded(listener: (sessions: readonly SessionRecord[]) => void | Promise<void>): () => void {
    this.#sessionEndListeners.add(listener);
    return () => this.#sessionEndListeners.delete(listener);
  }

  /** Tells the listeners that these sessions ended. Their errors never undo or fail the logout. */
  async sessionsEnded(sessions: readonly SessionRecord[]): Promise<void> {
    if (sessions.length === 0) return;
    for (const listener of this.#sessionEndListeners) {
      try {
        await listener(sessions);
      } catch {
        // A listener (say, a back-channel logout to a client that is down) must not break the logout itself.
      }
    }
  }

  /**
   * A re-posted response fails the InResponseTo check first (its request was consumed by the first use). The
   * validator reports the verified assertion ID with that failure; when the replay cache knows it, the honest
   * code is SAML_REPLAYED. Recording with an expiry of `now` is a pure lookup: a live entry answers false.
   */
  async #explainReplay(err: unknown, connectionId: string, now: Date): Promise<never> {
    if (
      err instanceof SamlSpError &&
      err.code === 'SAML_IN_RESPONSE_TO_UNKNOWN' &&
      typeof err.details.assertionId === 'string'
    ) {
      const assertionId = err.details.assertionId;
      const unseen = await this.stores.replay.remember(replayKey(connectionId, assertionId), now, now);
      if (!unseen) throw replayed(assertionId, err);
    }
    throw err;
  }

  /**
   * The user (created or updated) and their new session. With the built-in user store the assertion's replay
   * record, the user and the session are written as one unit (`stores.signIns`: one transaction on SQLite;
   * on PostgreSQL the replay INSERT, then one statement for the rest); a replayed assertion writes nothing and
   * is refused here. The lifecycle event follows the commit, so no event names a user whose sign-in was
   * rolled back. With `findOrCreateUser` the replay record was written before (#acs).
   */
  async #provision(
    facts: SignInFacts,
    newSession: Omit<SessionRecord, 'userId'>,
    replay: { key: string; expiresAt: Date },
    now: Date,
  ): Promise<{ user: UserRecord; session: SessionRecord }> {
    // Before any write: a user the organization's directory has deprovisioned is refused here.
    const admitted = this.#directory ? await this.#directory.admit(facts) : {};
    if (this.#findOrCreateUser) {
      const user = await this.#findOrCreateUser(facts);
      const session = { ...newSession, userId: user.id };
      await this.stores.sessions.create(session);
      return { user, session };
    }
    const { connection, assertion, profile } = facts;
    const written = await this.#signIns.record(
      {
        replay,
        user: {
          ...(admitted.userId !== undefined ? { id: admitted.userId } : {}),
          connectionId: connection.id,
          nameId: assertion.nameId.value,
          ...(assertion.nameId.format !== undefined ? { nameIdFormat: assertion.nameId.format } : {}),
          ...definedOnly({
            email: profile.email,
            firstName: profile.firstName,
            lastName: profile.lastName,
            displayName: profile.displayName,
            externalId: profile.externalId,
          }),
          groups: profile.groups,
          attributes: assertion.attributes,
        },
        session: newSession,
      },
      now,
    );
    if (written === 'replayed') throw replayed(assertion.assertionId);
    const { before, user, session } = written;
    const email = user.email !== undefined ? { email: user.email } : {};
    if (!before) {
      await this.events.emit('user.provisioned', { userId: user.id, connectionId: connection.id, ...email });
    } else {
      const changed = changedProfileFields(before, user);
      if (changed.length > 0) {
        await this.events.emit('user.updated', {
          userId: user.id,
          connectionId: connection.id,
          ...email,
          changed,
        });
      }
    }
    return { user, session };
  }

  #sessionExpiry(now: Date, sessionNotOnOrAfter: Date | undefined): Date {
    const cap = now.getTime() + this.#sessionTtlMs;
    const idpLimit = sessionNotOnOrAfter?.getTime() ?? Number.POSITIVE_INFINITY;
    return new Date(Math.min(cap, idpLimit));
  }
}

/**
 * Whether a refused message may speak for the connection: a signature verified (response or assertion) and
 * the message answered a pending request of this browser. When the InResponseTo check ran, its outcome says
 * so (an unsolicited message answers no request); when an earlier check failed after a signature verified,
 * the signed claim decides: the assertion's SubjectConfirmationData InResponseTo, or the Response's when the
 * Response signature verified. (An encrypted assertion cannot be read here: such a refusal stays unverified.)
 */
function answeredThisBrowser(checks: CheckTrace[], pendingIds: string[], samlResponse: unknown): boolean {
  const passed = (id: CheckTrace['check']) => checks.some((c) => c.check === id && c.status === 'pass');
  const responseSigned = passed('response-signature');
  if (!responseSigned && !passed('assertion-signature')) return false;
  const inResponseTo = checks.find((c) => c.check === 'in-response-to');
  if (inResponseTo?.status === 'pass') return inResponseTo.detail === undefined;
  if (inResponseTo?.status === 'fail' || pendingIds.length === 0) return false;
  const claims = peekResponse(samlResponse);
  if (!claims) return false;
  const claimed = [
    ...claims.inResponseTo.confirmations,
    ...(responseSigned && claims.inResponseTo.response ? [claims.inResponseTo.response] : []),
  ];
  return claimed.some((id) => pendingIds.includes(id));
}

/** The profile fields whose values differ (names only: payloads carry no attribute values). */
function changedProfileFields(before: UserRecord, after: UserRecord): string[] {
  const fields = ['email', 'firstName', 'lastName', 'displayName', 'externalId'] as const;
  const changed: string[] = fields.filter((f) => before[f] !== after[f]);
  if (JSON.stringify([...before.groups].sort()) !== JSON.stringify([...after.groups].sort()))
    changed.push('groups');
  return changed;
}

function stepUpOf(input: LoginInput): RequestAuthn | undefined {
  const { forceAuthn, maxAge } = input;
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_STEP_UP_AGE_SECONDS)) {
    throw new InvalidOptionError(
      `startLogin: maxAge must be a whole number of seconds from 0 to ${MAX_STEP_UP_AGE_SECONDS}, got ${String(maxAge)}.`,
    );
  }
  if (!forceAuthn && maxAge === undefined) return undefined;
  return {
    ...(forceAuthn ? { forceAuthn: true } : {}),
    ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
  };
}

/** What each outstanding request of this browser demanded, for the validator's authn-context check. */
function requirementsOf(
  pending: readonly PendingRequest[],
): Map<string, RequestAuthnRequirements> | undefined {
  const demanding = pending.filter((p) => p.authn);
  if (demanding.length === 0) return undefined;
  return new Map(
    demanding.map((p) => [
      p.requestId,
      {
        ...(p.authn?.maxAgeSeconds !== undefined ? { maxAgeSeconds: p.authn.maxAgeSeconds } : {}),
        ...(p.authn?.forceAuthn ? { forceAuthnSince: p.createdAt } : {}),
      },
    ]),
  );
}

function sessionAuthnOf(assertion: ValidatedAssertion): { authn?: SessionRecord['authn'] } {
  if (assertion.authnInstant === undefined && assertion.authnContextClassRef === undefined) return {};
  return {
    authn: {
      ...(assertion.authnInstant ? { instant: assertion.authnInstant } : {}),
      ...(assertion.authnContextClassRef !== undefined
        ? { contextClassRef: assertion.authnContextClassRef }
        : {}),
    },
  };
}

/**
 * Refuses real sign-ins on a connection that is a draft or still awaits its passing test: such a connection may
 * point at an IdP nobody has verified yet. The test flow (src/sp/test-sign-in.ts) is the way in.
 */
export function assertActive(connection: Connection): void {
  const status = connectionStatus(connection);
  if (status === 'active') return;
  throw new SamlSpError(
    'SAML_CONNECTION_NOT_ACTIVE',
    `Connection "${connection.id}" is ${status === 'draft' ? 'a draft (no IdP metadata yet)' : 'not active yet (no passing test sign-in)'}.`,
    {
      hint:
        status === 'draft'
          ? 'Give the connection its IdP metadata, run "Test sign-in" on the admin page, then activate it.'
          : 'Run "Test sign-in" on the admin page; activate the connection once the test passes (or override as an app admin).',
      status: 403,
      details: { connectionId: connection.id, status },
    },
  );
}

/** The replay-cache key of an assertion accepted for a connection (test sign-ins share it). */
export function replayKey(connectionId: string, assertionId: string): string {
  return `assertion:${connectionId}:${assertionId}`;
}

function replayed(assertionId: string, cause?: unknown): SamlSpError {
  return new SamlSpError('SAML_REPLAYED', `Assertion ${assertionId} was already used to sign in.`, {
    hint: 'Each assertion is accepted once. A browser "back" button or a captured response being re-posted causes this; sign in again.',
    details: { assertionId },
    cause,
  });
}

function definedOnly<T extends Record<string, string | undefined>>(
  values: T,
): Partial<Record<keyof T, string>> {
  const out: Partial<Record<keyof T, string>> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k as keyof T] = v;
  return out;
}
