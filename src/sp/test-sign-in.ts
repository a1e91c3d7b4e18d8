/**
 * Test sign-in as its own flow (issue #12 item 4). HTTP-free: the admin page and the setup portal drive it.
 *
 *   start()    a signed AuthnRequest whose pending record is marked with the run (PendingRequest.testRun), so
 *              it can never answer a real sign-in, and which works on a connection that is not active yet;
 *   receive()  called by the ACS route before the real sign-in: when the response answers a test request of
 *              this browser, it runs the full checklist (as `saml-sp inspect` prints it), maps the attributes,
 *              and keeps the result. No user is created, no session, no health counter moves;
 *   get()      the run and its result, for the result page.
 *
 * A response that arrives at another connection's ACS URL (the IdP holds that connection's values, or two
 * connections share an SP entity ID and the IdP picked the other) is recognised by its InResponseTo and
 * reported on the tested connection's result page, with what to fix.
 *
 * Only a response that passed every check changes the connection (its `lastTest`, which `activate` asks for).
 * A failure is kept on the run only: nothing unsigned changes what the connection shows.
 */

import type { TestOutcome } from '../core/connection-lifecycle.ts';
import { isSamlSpError, SamlSpError } from '../core/errors.ts';
import { mapAttributes } from '../core/mapping/map-attributes.ts';
import { type MappingReport, mappingReport } from '../core/mapping/mapping-report.ts';
import { RESPONSE_CHECKS } from '../core/response/checklist.ts';
import { decodeResponse } from '../core/response/decode.ts';
import { type CheckTrace, validateResponse } from '../core/response/validate-response.ts';
import type { Connection, MappedProfile } from '../core/types.ts';
import { DEFAULT_MAX_XML_BYTES, rootAttribute } from '../core/xml/parse.ts';
import { MemoryStateStore } from '../store/memory/shared-state.ts';
import type { StateStore } from '../store/shared-state.ts';
import type { PendingRequest } from '../store/types.ts';
import { AdminError } from './admin-errors.ts';
import { type Actor, type ChangeContext, UNKNOWN_ACTOR } from './change-context.ts';
import type { ConnectionService } from './connection-service.ts';
import { rootStartTag, rootStartTagOfBase64 } from './root-start-tag.ts';
import { type LoginStart, replayKey } from './service-provider.ts';
import { newToken, tokenKey } from './tokens.ts';

/** One check of the checklist, with its title (the result page and the JSON show both). */
export interface TestCheck extends CheckTrace {
  title: string;
}

/** What one test sign-in received and concluded. */
export interface TestResult {
  at: string;
  outcome: TestOutcome;
  /** The connection whose ACS URL the response reached. */
  arrivedAt: string;
  /** Why it failed, in the words of the failing check. */
  error?: { code: string; message: string; hint: string };
  /** Set when the response reached another connection's ACS URL. */
  wrongConnection?: {
    arrivedAt: string;
    arrivedAcsUrl: string;
    expectedAcsUrl: string;
    expectedEntityId: string;
    /** The two connections present the same SP entity ID: the IdP cannot tell them apart. */
    sharedEntityId: boolean;
  };
  checks: TestCheck[];
  assertion?: {
    issuer: string;
    nameId: { value: string; format?: string };
    sessionIndex?: string;
    authnInstant?: string;
    attributes: Record<string, string[]>;
    signature: { signedElements: string[]; certificateFingerprint: string; algorithm: string };
    wasEncrypted: boolean;
  };
  profile?: MappedProfile;
  mapping?: MappingReport;
}

/** A test run: who started it, where its result is shown, and the result once a response arrived. */
export interface TestRun {
  run: string;
  connectionId: string;
  /** SHA-256 of the browser's request-binding cookie: only that browser's response is this run's. */
  browser: string;
  startedAt: string;
  actor: Actor;
  /** Where the browser lands after the ACS: the admin page's or the setup portal's result page. */
  resultPath: string;
  result?: TestResult;
}

export interface TestSignInsOptions {
  connections: ConnectionService;
  /** Where runs are kept. Default: in process memory (1,000 at most); the server passes its shared state. */
  store?: StateStore;
  /** How long a run stays readable. Default 30 min. */
  ttlMs?: number;
}

/**
 * Test sign-ins over a ConnectionService.
 *
 * @example
 * ```ts
 * const tests = new TestSignIns({ connections, store: stores.state });
 * const { run, login } = await tests.start('acme', {
 *   browserKey,
 *   resultPath: (run) => `/admin/connections/acme/test/result?run=${run}`,
 * }, { actor: { kind: 'admin-session', name: 'admin' } });
 * // ... the IdP posts to /saml/acme/acs; samlRouter({ testSignIns: tests }) hands it to tests.receive() when
 * // the browser carries the test sign-in cookie (testSignInCookieName; sendTestSignIn sets it, else set it too)
 * const { result } = (await tests.get(run))!;
 * ```
 */
export class TestSignIns {
  readonly connections: ConnectionService;
  readonly #store: StateStore;
  /** How long a run stays readable (and the browser's test-sign-in cookie with it). */
  readonly ttlMs: number;

  constructor(options: TestSignInsOptions) {
    this.connections = options.connections;
    this.#store = options.store ?? new MemoryStateStore({ maxEntries: 1000 });
    this.ttlMs = options.ttlMs ?? 30 * 60_000;
  }

  /**
   * Starts a test sign-in for this browser (its request-binding cookie value). Works on `testing` and `active`
   * connections; a draft has no IdP to send the request to (CONNECTION_NOT_READY).
   */
  async start(
    connectionId: string,
    input: { browserKey: string; resultPath: (run: string) => string },
    context: ChangeContext = {},
  ): Promise<{ run: string; login: LoginStart }> {
    const connection = await this.connections.get(connectionId);
    if (connection.status === 'draft') {
      throw new AdminError('CONNECTION_NOT_READY', `Connection "${connectionId}" has no IdP metadata yet.`, {
        hint: 'Upload the IdP metadata or give its URL first; then the test can send the sign-in request.',
        status: 409,
      });
    }
    const run = newToken();
    const now = this.connections.sp.now();
    const record: TestRun = {
      run,
      connectionId,
      browser: tokenKey(input.browserKey),
      startedAt: now.toISOString(),
      actor: context.actor ?? { ...UNKNOWN_ACTOR },
      resultPath: input.resultPath(run),
    };
    await this.#save(record, now);
    const login = await this.connections.sp.startLogin(connectionId, {
      browserKey: input.browserKey,
      testRun: run,
    });
    return { run, login };
  }

  /** The run, if it exists and has not expired. */
  async get(run: string): Promise<TestRun | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(run)) return undefined;
    const json = await this.#store.get(key(run), this.connections.sp.now());
    return json === undefined ? undefined : (JSON.parse(json) as TestRun);
  }

  /**
   * Handles a response at `arrivedAt`'s ACS when it answers a test request of this browser; returns undefined
   * otherwise (the caller then runs the real sign-in). Never creates a user or a session.
   */
  async receive(
    arrivedAt: string,
    input: { samlResponse: unknown; browserKey: string | undefined },
  ): Promise<TestRun | undefined> {
    if (!input.browserKey || typeof input.samlResponse !== 'string' || input.samlResponse === '') {
      return undefined;
    }
    const sp = this.connections.sp;
    const now = sp.now();
    const pending = await this.#testRequestOf(input.samlResponse, input.browserKey, arrivedAt, now);
    if (!pending?.testRun) return undefined;
    const record = await this.get(pending.testRun);
    if (!record || record.connectionId !== pending.connectionId) return undefined;
    const connection = await this.connections.get(pending.connectionId);
    const trace: CheckTrace[] = [];
    let result: TestResult;
    if (arrivedAt !== pending.connectionId) {
      result = await this.#wrongConnection(connection, arrivedAt, input.samlResponse, trace, now);
    } else {
      result = await this.#check(connection, pending, input.samlResponse, trace, now);
    }
    const done: TestRun = { ...record, result };
    await this.#save(done, now);
    if (result.outcome !== 'failed') {
      await this.connections.recordTest(connection.id, {
        run: record.run,
        at: result.at,
        outcome: result.outcome,
        actor: record.actor,
      });
    }
    return done;
  }

  /**
   * The pending test request this response answers: the one its (unverified) InResponseTo names, when that is
   * a test request of this very browser; else, for a message too broken to name one, this browser's latest
   * test request at this ACS. Nothing here is trusted beyond choosing which run's page shows the outcome.
   */
  async #testRequestOf(
    samlResponse: string,
    browserKey: string,
    arrivedAt: string,
    now: Date,
  ): Promise<PendingRequest | undefined> {
    const requests = this.connections.sp.stores.requests;
    const claimed = unverifiedInResponseTo(samlResponse);
    if (claimed) {
      const pending = await requests.peek(claimed, now);
      if (pending?.testRun && pending.browserKey === browserKey) return pending;
      if (pending) return undefined;
    }
    const mine = await requests.listForBrowser(browserKey, arrivedAt, now);
    return claimed ? undefined : mine.filter((p) => p.testRun !== undefined).at(-1);
  }

  async #check(
    connection: Connection,
    pending: PendingRequest,
    samlResponse: string,
    trace: CheckTrace[],
    now: Date,
  ): Promise<TestResult> {
    const sp = this.connections.sp;
    const identity = sp.spIdentity(connection);
    const at = now.toISOString();
    try {
      const assertion = await validateResponse(samlResponse, {
        connection,
        sp: {
          entityId: identity.entityId,
          acsUrl: identity.acsUrl,
          decryptionKeyPem: identity.encryption.privateKeyPem,
        },
        now,
        expectedRequestIds: [pending.requestId],
        trace,
      });
      // The same single-use rules as a real sign-in: the assertion once, the request once.
      if (
        !(await sp.stores.replay.remember(
          replayKey(connection.id, assertion.assertionId),
          assertion.notOnOrAfter,
          now,
        ))
      ) {
        throw new SamlSpError('SAML_REPLAYED', `Assertion ${assertion.assertionId} was already used.`, {
          hint: 'Start the test again: each assertion is accepted once.',
        });
      }
      const consumed = await sp.stores.requests.consume(pending.requestId, now);
      if (!consumed) {
        throw new SamlSpError('SAML_REPLAYED', `Request ${pending.requestId} was already answered.`, {
          hint: 'Start the test again.',
        });
      }
      const profile = mapAttributes({
        attributes: assertion.attributes,
        nameId: assertion.nameId,
        preset: connection.preset,
        overrides: connection.attributeMapping,
      });
      const mapping = mappingReport({
        attributes: assertion.attributes,
        preset: connection.preset,
        overrides: connection.attributeMapping,
        profile,
      });
      return {
        at,
        outcome: mapping.missing.length > 0 ? 'passed-with-warnings' : 'passed',
        arrivedAt: connection.id,
        checks: titled(trace),
        assertion: {
          issuer: assertion.issuer,
          nameId: {
            value: assertion.nameId.value,
            ...(assertion.nameId.format ? { format: assertion.nameId.format } : {}),
          },
          ...(assertion.sessionIndex ? { sessionIndex: assertion.sessionIndex } : {}),
          ...(assertion.authnInstant ? { authnInstant: assertion.authnInstant.toISOString() } : {}),
          attributes: assertion.attributes,
          signature: { ...assertion.signature, signedElements: [...assertion.signature.signedElements] },
          wasEncrypted: assertion.wasEncrypted,
        },
        profile,
        mapping,
      };
    } catch (err) {
      if (!isSamlSpError(err)) throw err;
      return { at, outcome: 'failed', arrivedAt: connection.id, error: err.toJSON(), checks: titled(trace) };
    }
  }

  /** The response reached another connection's ACS: say which, why that happens, and what to fix. */
  async #wrongConnection(
    tested: Connection,
    arrivedAt: string,
    samlResponse: string,
    trace: CheckTrace[],
    now: Date,
  ): Promise<TestResult> {
    const sp = this.connections.sp;
    const expected = sp.spIdentity(tested);
    const other = await sp.stores.connections.get(arrivedAt);
    const arrived = sp.spIdentity(other ?? { id: arrivedAt });
    const sharedEntityId = !!other && arrived.entityId === expected.entityId;
    // The checklist against the tested connection shows where it breaks (usually Destination).
    await validateResponse(samlResponse, {
      connection: tested,
      sp: {
        entityId: expected.entityId,
        acsUrl: expected.acsUrl,
        decryptionKeyPem: expected.encryption.privateKeyPem,
      },
      now,
      expectedRequestIds: [],
      trace,
    }).catch(() => undefined);
    const error = new SamlSpError(
      'SAML_TEST_WRONG_CONNECTION',
      `The IdP sent this test's response to the ACS URL of connection "${arrivedAt}" (${arrived.acsUrl}), not to "${tested.id}".`,
      {
        hint: sharedEntityId
          ? `Both connections present the SP entity ID ${expected.entityId}, so the IdP cannot tell them apart. Give "${tested.id}" its own SP entity ID (Edit > SP entity ID), then set Entity ID ${sp.spIdentity({ ...tested, spEntityIdMode: 'connection', spEntityId: undefined }).entityId} and ACS URL ${expected.acsUrl} in the IdP.`
          : `In the IdP's application for "${tested.id}", set the ACS URL to ${expected.acsUrl} and the Entity ID (Audience) to ${expected.entityId}.`,
      },
    );
    return {
      at: now.toISOString(),
      outcome: 'failed',
      arrivedAt,
      error: error.toJSON(),
      wrongConnection: {
        arrivedAt,
        arrivedAcsUrl: arrived.acsUrl,
        expectedAcsUrl: expected.acsUrl,
        expectedEntityId: expected.entityId,
        sharedEntityId,
      },
      checks: titled(trace),
    };
  }

  async #save(record: TestRun, now: Date): Promise<void> {
    const expiresAt = new Date(Date.parse(record.startedAt) + this.ttlMs);
    await this.#store.set(key(record.run), JSON.stringify(record), expiresAt, now);
  }
}

function key(run: string): string {
  return `test-sign-in:${run}`;
}

function titled(trace: CheckTrace[]): TestCheck[] {
  return RESPONSE_CHECKS.map(({ id, title }) => {
    const done = trace.find((t) => t.check === id);
    return {
      check: id,
      title,
      status: done?.status ?? 'skip',
      ...(done?.detail ? { detail: done.detail } : {}),
    };
  });
}

/** The root start tag after the strict decode of the whole message; the whole document when its prolog is unusual. */
function wholeRootTag(samlResponse: string): string {
  const xml = decodeResponse(samlResponse, DEFAULT_MAX_XML_BYTES);
  return rootStartTag(xml) ?? xml;
}

/**
 * The InResponseTo the message claims, read without trusting it (it only picks the run whose page shows the
 * outcome); undefined when the message cannot be read.
 */
function unverifiedInResponseTo(samlResponse: string): string | undefined {
  try {
    // Every ACS request of a browser that started a test comes through here (the HTTP adapter asks only then:
    // src/http/browser-key.ts): read the root's start tag alone, from the head of the base64
    // (the whole message, decoded strictly, only when that is unusual), not a second full decode and parse
    // of every response beside the validation's own.
    // The strict reader stops after the root's start tag: no tree is built for one attribute.
    const tag = rootStartTagOfBase64(samlResponse) ?? wholeRootTag(samlResponse);
    return (
      rootAttribute(tag, 'InResponseTo', { maxBytes: DEFAULT_MAX_XML_BYTES, what: 'SAML response' }) ||
      undefined
    );
  } catch {
    return undefined;
  }
}
