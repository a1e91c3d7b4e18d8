/**
 * Single Logout as an application service, HTTP-free like the ServiceProvider it drives.
 *
 * SP-initiated (`startLogout`): end the local session at once (the user asked to leave; an IdP that never
 * answers must not keep them signed in), then send the IdP a signed LogoutRequest naming the NameID exactly as
 * received and the SessionIndex, over the binding the IdP offers. Its ID is kept in the RequestIdStore, bound
 * to this browser, until the LogoutResponse comes back (`handleSloMessage`).
 *
 * IdP-initiated (`handleSloMessage` with a LogoutRequest, over Redirect, POST or SOAP): validate strictly
 * (signature, Issuer, Destination, time), refuse replays by request ID, then end every local session of the
 * connection that matches the NameID (and SessionIndex values) through the session registry, never through
 * the cookie: the request may come from another browser, or server to server. Answer with a signed
 * LogoutResponse: Success, or PartialLogout when a session could not be ended.
 */
import { InvalidOptionError, SamlSpError } from '../core/errors.ts';
import {
  type DecodedLogoutMessage,
  decodeLogoutMessage,
  type IncomingLogoutMessage,
} from '../core/logout/decode.ts';
import { encodeLogoutMessageWith, type OutgoingLogoutMessage } from '../core/logout/encode.ts';
import { buildLogoutRequest, chooseSloEndpoint } from '../core/logout/logout-request.ts';
import { buildLogoutResponse, type LogoutOutcome, logoutStatusFor } from '../core/logout/logout-response.ts';
import {
  DEFAULT_LOGOUT_MAX_AGE_SECONDS,
  type ValidatedLogoutRequest,
  type ValidatedLogoutResponse,
  validateLogoutRequest,
  validateLogoutResponse,
} from '../core/logout/validate-logout.ts';
import type { Connection, NameId } from '../core/types.ts';
import { NAMEID_FORMATS } from '../core/xml/namespaces.ts';
import type { SessionRecord } from '../store/types.ts';
import { safeReturnTo } from './return-to.ts';
import type { ServiceProvider } from './service-provider.ts';
import { tokenKey } from './tokens.ts';

/**
 * Outstanding LogoutRequests live in the RequestIdStore next to AuthnRequests, under this connection scope.
 * The ACS lists a browser's requests by the plain connection id, so a logout request ID can never be taken for
 * an AuthnRequest ID (and the other way round).
 */
export function logoutRequestScope(connectionId: string): string {
  return `logout:${connectionId}`;
}

export interface LogoutServiceOptions {
  /** How long our LogoutRequest stays answerable, in seconds. Default 600. */
  requestTtlSeconds?: number;
  /** How long after its IssueInstant an IdP LogoutRequest is accepted, in seconds (plus the skew). Default 300. */
  maxRequestAgeSeconds?: number;
  /** Limit on a decoded logout message, in bytes. */
  maxBytes?: number;
}

/** What `startLogout` decided. The local session has ended in every case. */
export type LogoutStart =
  /** There was no live session: nothing to do but go back. */
  | { kind: 'no-session'; returnTo: string }
  /** Local logout only: the IdP offers no SLO endpoint (Google, many Okta apps), or the connection is gone. */
  | { kind: 'local'; returnTo: string; connectionId: string; reason: 'no-slo-endpoint' | 'connection-gone' }
  /** Send this LogoutRequest to the IdP (redirect the browser, or render the auto-post form). */
  | {
      kind: 'slo';
      returnTo: string;
      connectionId: string;
      requestId: string;
      message: Extract<OutgoingLogoutMessage, { binding: 'redirect' | 'post' }>;
    };

/** What a message at the SLO endpoint led to. */
export type SloResult =
  /** The IdP answered our LogoutRequest. Show `response.outcome` and go to `returnTo`. */
  | { kind: 'logout-response'; connectionId: string; response: ValidatedLogoutResponse; returnTo: string }
  /** The IdP asked us to end sessions; send `answer` back (absent when the IdP has no front-channel SLO URL). */
  | {
      kind: 'logout-request';
      connectionId: string;
      request: ValidatedLogoutRequest;
      /** Storage keys (hashed) of the sessions that ended. */
      endedSessionIds: string[];
      outcome: LogoutOutcome;
      answer?: OutgoingLogoutMessage;
    };

/** The outcome of ending sessions by NameID. */
export interface EndSessionsResult {
  endedSessionIds: string[];
  outcome: LogoutOutcome;
  /** Why not everything ended, for the log. */
  problems: string[];
}

const DEFAULT_REQUEST_TTL_SECONDS = 600;

/**
 * @example
 * ```ts
 * const logout = new LogoutService(sp);
 * const start = await logout.startLogout({ sessionToken, returnTo: '/bye', browserKey });
 * if (start.kind === 'slo' && start.message.binding === 'redirect') res.redirect(303, start.message.url);
 * ```
 */
export class LogoutService {
  readonly #sp: ServiceProvider;
  readonly #requestTtlMs: number;
  readonly #maxRequestAgeSeconds: number;
  readonly #maxBytes: number | undefined;

  constructor(sp: ServiceProvider, options: LogoutServiceOptions = {}) {
    this.#sp = sp;
    const ttl = options.requestTtlSeconds ?? DEFAULT_REQUEST_TTL_SECONDS;
    const age = options.maxRequestAgeSeconds ?? DEFAULT_LOGOUT_MAX_AGE_SECONDS;
    for (const [name, value] of [
      ['requestTtlSeconds', ttl],
      ['maxRequestAgeSeconds', age],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new InvalidOptionError(
          `LogoutService: ${name} must be a positive number of seconds, got ${value}.`,
        );
      }
    }
    this.#requestTtlMs = ttl * 1000;
    this.#maxRequestAgeSeconds = age;
    this.#maxBytes = options.maxBytes;
  }

  /**
   * SP-initiated logout: ends the session behind `sessionToken` and, when its connection has an SLO endpoint,
   * returns the signed LogoutRequest to send.
   */
  async startLogout(input: {
    sessionToken?: string;
    returnTo?: unknown;
    browserKey: string;
  }): Promise<LogoutStart> {
    const returnTo = safeReturnTo(input.returnTo);
    const found = input.sessionToken ? await this.#sp.session(input.sessionToken) : undefined;
    if (!found) return { kind: 'no-session', returnTo };
    const { session } = found;
    await this.#sp.endSession(input.sessionToken!);
    await this.#sp.events.emit('session.ended', {
      userId: session.userId,
      connectionId: session.connectionId,
      reason: 'logout',
    });

    const connection = await this.#sp.stores.connections.get(session.connectionId);
    if (!connection)
      return { kind: 'local', returnTo, connectionId: session.connectionId, reason: 'connection-gone' };
    const endpoint = chooseSloEndpoint(connection);
    if (!endpoint) return { kind: 'local', returnTo, connectionId: connection.id, reason: 'no-slo-endpoint' };

    const sp = await this.#sp.spIdentityFor(connection);
    const now = this.#sp.now();
    const request = buildLogoutRequest({
      sp,
      connection,
      nameId: session.nameId,
      ...(session.sessionIndex !== undefined ? { sessionIndex: session.sessionIndex } : {}),
      destination: endpoint.location,
      now,
    });
    await this.#sp.stores.requests.save({
      requestId: request.id,
      connectionId: logoutRequestScope(connection.id),
      browserKey: input.browserKey,
      returnTo,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#requestTtlMs),
    });
    const message = await encodeLogoutMessageWith({
      binding: endpoint.binding,
      location: endpoint.location,
      key: 'SAMLRequest',
      xml: request.xml,
      // Only the sanitised path travels; the authoritative returnTo is the stored one.
      relayState: returnTo,
      signing: sp.signing,
    });
    if (message.binding === 'soap') throw new Error('unreachable: front-channel endpoint');
    await this.#sp.events.emit('logout.out', { connectionId: connection.id, userId: session.userId });
    return { kind: 'slo', returnTo, connectionId: connection.id, requestId: request.id, message };
  }

  /**
   * Everything that arrives at /saml/:connectionId/slo: the IdP's answer to our LogoutRequest, or its own
   * LogoutRequest (front-channel from any browser, or back-channel over SOAP with no browser at all).
   * Throws SamlSpError for every refusal; no session is touched then.
   */
  async handleSloMessage(
    connectionId: string,
    input: { message: IncomingLogoutMessage; browserKey?: string | undefined },
  ): Promise<SloResult> {
    const connection = await this.#sp.connection(connectionId);
    const decoded = decodeLogoutMessage(
      input.message,
      this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes },
    );
    return decoded.kind === 'LogoutResponse'
      ? this.#logoutResponse(connection, decoded, input.browserKey)
      : this.#logoutRequest(connection, decoded);
  }

  /**
   * Ends every live session of `connectionId` whose NameID matches `nameId` (value, and Format and qualifiers
   * where both sides have them) and, when `sessionIndexes` is non-empty, whose SessionIndex is one of them.
   * Integrators can call it for their own back-channel (a SCIM deprovisioning, an admin "sign out everywhere").
   */
  async endSessionsByNameId(
    connectionId: string,
    nameId: NameId,
    sessionIndexes: readonly string[] = [],
  ): Promise<EndSessionsResult> {
    const now = this.#sp.now();
    let sessions: SessionRecord[];
    try {
      sessions = await this.#sp.stores.sessions.findByNameId(
        connectionId,
        nameId.value,
        [...sessionIndexes],
        now,
      );
    } catch (err) {
      return { endedSessionIds: [], outcome: 'failure', problems: [`session lookup failed: ${String(err)}`] };
    }
    const endedSessionIds: string[] = [];
    const problems: string[] = [];
    for (const session of sessions.filter((s) => sameNameId(s.nameId, nameId))) {
      try {
        await this.#sp.stores.sessions.delete(session.id);
        endedSessionIds.push(session.id);
        await this.#sp.events.emit('session.ended', {
          userId: session.userId,
          connectionId,
          reason: 'idp-logout',
        });
      } catch (err) {
        problems.push(`session ${session.id.slice(0, 8)}… could not be deleted: ${String(err)}`);
      }
    }
    await this.#sp.sessionsEnded(sessions.filter((s) => endedSessionIds.includes(s.id)));
    return { endedSessionIds, outcome: problems.length === 0 ? 'success' : 'partial', problems };
  }

  /** Whether a session cookie value belongs to one of the sessions just ended (to clear that cookie too). */
  static endedThisSession(result: SloResult, sessionToken: string | undefined): boolean {
    return (
      result.kind === 'logout-request' &&
      sessionToken !== undefined &&
      result.endedSessionIds.includes(tokenKey(sessionToken))
    );
  }

  async #logoutResponse(
    connection: Connection,
    decoded: DecodedLogoutMessage,
    browserKey: string | undefined,
  ): Promise<SloResult> {
    const now = this.#sp.now();
    const scope = logoutRequestScope(connection.id);
    const pending = browserKey ? await this.#sp.stores.requests.listForBrowser(browserKey, scope, now) : [];
    const response = validateLogoutResponse(decoded, {
      connection,
      sp: this.#sp.spIdentity(connection),
      now,
      expectedRequestIds: pending.map((p) => p.requestId),
      ...(this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes }),
    });
    // Consumed only now, after every check: a forged response cannot burn a genuine request ID.
    const consumed = await this.#sp.stores.requests.consume(response.inResponseTo, now);
    if (!consumed || consumed.browserKey !== browserKey || consumed.connectionId !== scope) {
      throw new SamlSpError('SAML_REPLAYED', `LogoutRequest ${response.inResponseTo} was already answered.`, {
        hint: 'Each LogoutRequest is answered once. The browser probably went back to an old page; the local session has already ended.',
        details: { inResponseTo: response.inResponseTo },
      });
    }
    return {
      kind: 'logout-response',
      connectionId: connection.id,
      response,
      returnTo: safeReturnTo(consumed.returnTo),
    };
  }

  async #logoutRequest(connection: Connection, decoded: DecodedLogoutMessage): Promise<SloResult> {
    const now = this.#sp.now();
    const sp = await this.#sp.spIdentityFor(connection);
    const request = validateLogoutRequest(decoded, {
      connection,
      sp,
      now,
      maxAgeSeconds: this.#maxRequestAgeSeconds,
      ...(this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes }),
    });
    const firstUse = await this.#sp.stores.replay.remember(
      `logout-request:${connection.id}:${request.id}`,
      request.replayUntil,
      now,
    );
    if (!firstUse) {
      throw new SamlSpError('SAML_REPLAYED', `LogoutRequest ${request.id} was already processed.`, {
        hint: 'Each LogoutRequest is accepted once. A browser going back, or a captured request sent again, causes this.',
        details: { requestId: request.id },
      });
    }
    const ended = await this.endSessionsByNameId(connection.id, request.nameId, request.sessionIndexes);
    await this.#sp.events.emit('logout.in', {
      connectionId: connection.id,
      sessionsEnded: ended.endedSessionIds.length,
    });
    const status = logoutStatusFor(
      ended.outcome,
      ended.outcome === 'success' ? undefined : 'Not every session of this user could be ended at the SP.',
    );
    const result = {
      kind: 'logout-request' as const,
      connectionId: connection.id,
      request,
      endedSessionIds: ended.endedSessionIds,
      outcome: ended.outcome,
    };
    if (request.binding === 'soap') {
      const { xml } = buildLogoutResponse({ issuer: sp.entityId, inResponseTo: request.id, status, now });
      return {
        ...result,
        answer: await encodeLogoutMessageWith({
          binding: 'soap',
          location: '',
          key: 'SAMLResponse',
          xml,
          signing: sp.signing,
        }),
      };
    }
    // Answer over the binding the request came in on when the IdP offers it.
    const endpoint = chooseSloEndpoint(connection, request.binding);
    if (!endpoint) return result;
    const { xml } = buildLogoutResponse({
      issuer: sp.entityId,
      inResponseTo: request.id,
      destination: endpoint.responseLocation,
      status,
      now,
    });
    const answer = await encodeLogoutMessageWith({
      binding: endpoint.binding,
      location: endpoint.responseLocation,
      key: 'SAMLResponse',
      xml,
      ...(request.relayState !== undefined ? { relayState: request.relayState } : {}),
      signing: sp.signing,
    });
    return { ...result, answer };
  }
}

/**
 * SAML compares NameIDs with their Format and qualifiers (core §8.3). The store matched the value; here a
 * Format or qualifier that both sides carry must agree too, with the unspecified format matching any.
 */
function sameNameId(stored: NameId, requested: NameId): boolean {
  const NAMEID_UNSPECIFIED = NAMEID_FORMATS.unspecified;
  if (stored.value !== requested.value) return false;
  const f1 = stored.format ?? NAMEID_UNSPECIFIED;
  const f2 = requested.format ?? NAMEID_UNSPECIFIED;
  if (f1 !== f2 && f1 !== NAMEID_UNSPECIFIED && f2 !== NAMEID_UNSPECIFIED) return false;
  for (const key of ['nameQualifier', 'spNameQualifier'] as const) {
    if (stored[key] !== undefined && requested[key] !== undefined && stored[key] !== requested[key])
      return false;
  }
  return true;
}
