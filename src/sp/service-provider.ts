/**
 * The SP as an application service: connections + core + stores. HTTP-free, so the Express router, the
 * passport strategy, the CLI and tests all drive the same object.
 *
 * The ACS sequence is the security-relevant part and reads top to bottom in `acs()`:
 * pending requests of this browser -> strict validation (src/core/response) -> replay cache -> consume the
 * request ID (only now, so a forged response cannot burn a genuine one) -> attribute mapping -> user -> session.
 */
import { InvalidOptionError, SamlSpError } from '../core/errors.ts';
import { mapAttributes } from '../core/mapping/map-attributes.ts';
import { buildSpMetadata } from '../core/metadata/sp-metadata.ts';
import {
  buildAuthnRequest,
  chooseSsoBinding,
  encodePostRequest,
  encodeRedirectRequest,
} from '../core/request/authn-request.ts';
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
import { createSpMetrics, errorCodeLabel, type SpMetrics } from '../metrics/index.ts';
import { MemoryOrganizationStore } from '../store/memory/organizations.ts';
import type {
  OrganizationStore,
  PendingRequest,
  RequestAuthn,
  SessionRecord,
  Stores,
} from '../store/types.ts';
import { newTraceId, peekResponse } from '../trace/index.ts';
import { safeReturnTo } from './return-to.ts';
import { newToken, tokenKey } from './tokens.ts';

export interface SignInFacts {
  connection: Connection;
  assertion: ValidatedAssertion;
  profile: MappedProfile;
}

export interface ServiceProviderOptions {
  /** External base URL, e.g. https://app.example.com. ACS/SLO/metadata URLs derive from it. */
  baseUrl: string;
  /** The SP entity ID (a connection may override it). */
  entityId: string;
  keys: { signing: KeyPair; encryption: KeyPair };
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
   * The OpenTelemetry instruments sign-ins and refreshes are counted on. Default: `createSpMetrics()` on the
   * global MeterProvider of `@opentelemetry/api` (a no-op unless your app registered an SDK).
   */
  metrics?: SpMetrics;
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
  /** The stores' organizations, or an in-process store when the stores have none (a hand-built `Stores`). */
  readonly organizations: OrganizationStore;
  readonly #keys: { signing: KeyPair; encryption: KeyPair };
  readonly #sessionTtlMs: number;
  readonly #requestTtlMs: number;
  readonly #maxPendingPerBrowser: number;
  readonly #metadataCache = new Map<string, { version: string; xml: string }>();
  readonly #now: () => Date;
  readonly #findOrCreateUser: ((facts: SignInFacts) => Promise<UserRecord>) | undefined;
  readonly #getUser: (id: string) => Promise<UserRecord | undefined>;
  readonly #onSignInResult: ((event: SignInEvent) => void | Promise<void>) | undefined;

  constructor(options: ServiceProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.entityId = options.entityId;
    this.routePrefix = `/${(options.routePrefix ?? '/saml').replace(/^\/+|\/+$/g, '')}`;
    this.stores = options.stores;
    this.organizations = options.stores.organizations ?? new MemoryOrganizationStore();
    this.#keys = options.keys;
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
    this.#onSignInResult = options.onSignInResult;
    this.metrics = options.metrics ?? createSpMetrics();
  }

  /** The SP values for one connection: what the customer's IdP admin pastes into their console. */
  spIdentity(connection: Pick<Connection, 'id' | 'spEntityId'>): SpIdentity {
    const base = `${this.baseUrl}${this.routePrefix}/${encodeURIComponent(connection.id)}`;
    return {
      entityId: connection.spEntityId ?? this.entityId,
      acsUrl: `${base}/acs`,
      sloUrl: `${base}/slo`,
      metadataUrl: `${base}/metadata`,
      signing: this.#keys.signing,
      encryption: this.#keys.encryption,
    };
  }

  /** Loads a connection or fails with SAML_CONNECTION_NOT_FOUND (404). */
  async connection(connectionId: string): Promise<Connection> {
    const connection = await this.stores.connections.get(connectionId);
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
   * Signed SP metadata for a connection already loaded, signed once per connection version (`updatedAt`):
   * the metadata URL is public, and an RSA signature per anonymous GET is work an attacker can order for free.
   */
  metadataFor(connection: Connection): string {
    const cached = this.#metadataCache.get(connection.id);
    if (cached?.version === connection.updatedAt) return cached.xml;
    const xml = buildSpMetadata(this.spIdentity(connection));
    // One entry per connection that exists (unknown ids never get here), replaced when its version changes.
    this.#metadataCache.set(connection.id, { version: connection.updatedAt, xml });
    return xml;
  }

  /**
   * Starts SP-initiated SSO: builds a signed AuthnRequest for the binding the IdP offers and records the
   * request ID against this browser.
   */
  async startLogin(connectionId: string, input: LoginInput): Promise<LoginStart> {
    const connection = await this.connection(connectionId);
    const sp = this.spIdentity(connection);
    const now = this.#now();
    const authn = stepUpOf(input);
    const { binding } = chooseSsoBinding(connection);
    const request = buildAuthnRequest({
      sp,
      connection,
      binding,
      now,
      ...(authn?.forceAuthn ? { forceAuthn: true } : {}),
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
    });
    // RelayState carries only the already-sanitised path; the authoritative returnTo is the stored one.
    if (binding === 'redirect') {
      const url = encodeRedirectRequest({
        xml: request.xml,
        destination: request.destination,
        relayState: returnTo,
        sp,
        connection,
      });
      return { binding, requestId: request.id, url };
    }
    const form = encodePostRequest({
      xml: request.xml,
      destination: request.destination,
      relayState: returnTo,
      sp,
      connection,
    });
    return { binding, requestId: request.id, action: form.action, fields: form.fields };
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
      const result = await this.#acs(connectionId, input, attempt, pending);
      attempt.verified = true;
      event = { ok: true, connectionId, at: this.#now(), result, attempt };
    } catch (error) {
      attempt.verified = answeredThisBrowser(attempt.checks, pending, input.samlResponse);
      event = { ok: false, connectionId, at: this.#now(), error, attempt };
    }
    // attempt.connectionName is set once the connection loaded: only stored connections become metric labels.
    this.#count(event, attempt.connectionName !== undefined, (performance.now() - started) / 1000);
    await this.#report(event);
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
    const connection = await this.connection(connectionId);
    attempt.connectionName = connection.displayName;
    if (connection.organizationId) attempt.organizationId = connection.organizationId;
    const sp = this.spIdentity(connection);
    const now = this.#now();
    const pending = input.browserKey
      ? await this.stores.requests.listForBrowser(input.browserKey, connectionId, now)
      : [];
    pendingIds.push(...pending.map((p) => p.requestId));

    const assertion = await validateResponse(input.samlResponse, {
      connection,
      sp: { entityId: sp.entityId, acsUrl: sp.acsUrl, decryptionKeyPem: sp.encryption.privateKeyPem },
      now,
      expectedRequestIds: pending.map((p) => p.requestId),
      trace: attempt.checks,
      requestRequirements: requirementsOf(pending),
    }).catch((err: unknown) => this.#explainReplay(err, connectionId, now));

    const firstUse = await this.stores.replay.remember(
      replayKey(connectionId, assertion.assertionId),
      assertion.notOnOrAfter,
      now,
    );
    if (!firstUse) throw replayed(assertion.assertionId);
    let returnTo = safeReturnTo(input.relayState);
    if (assertion.inResponseTo !== undefined) {
      const consumed = await this.stores.requests.consume(assertion.inResponseTo, now);
      if (!consumed || consumed.browserKey !== input.browserKey || consumed.connectionId !== connectionId) {
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
    const user = await this.#provision({ connection, assertion, profile }, now);
    const sessionToken = newToken();
    const session: SessionRecord = {
      id: tokenKey(sessionToken),
      userId: user.id,
      connectionId,
      nameId: assertion.nameId,
      ...(assertion.sessionIndex !== undefined ? { sessionIndex: assertion.sessionIndex } : {}),
      ...sessionAuthnOf(assertion),
      createdAt: now,
      expiresAt: this.#sessionExpiry(now, assertion.sessionNotOnOrAfter),
    };
    await this.stores.sessions.create(session);
    return { user, sessionToken, session, returnTo, assertion, profile };
  }

  /** The session and user behind a session cookie value, if it is live. */
  async session(
    sessionToken: string,
  ): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined> {
    const session = await this.stores.sessions.get(tokenKey(sessionToken), this.#now());
    if (!session) return undefined;
    return { session, user: await this.#getUser(session.userId) };
  }

  /** The SP's clock (injectable through `options.now`): the logout module and other services share it. */
  now(): Date {
    return this.#now();
  }

  /** Ends one local session. */
  async endSession(sessionToken: string): Promise<boolean> {
    return this.stores.sessions.delete(tokenKey(sessionToken));
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

  async #provision(facts: SignInFacts, now: Date): Promise<UserRecord> {
    if (this.#findOrCreateUser) return this.#findOrCreateUser(facts);
    const { connection, assertion, profile } = facts;
    return this.stores.users.upsert(
      {
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
      now,
    );
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

function replayKey(connectionId: string, assertionId: string): string {
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
