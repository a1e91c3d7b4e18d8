/**
 * "Test sign-in" from the admin page: a real SP-initiated SSO whose returnTo names a run token; when the ACS
 * accepts the response, what it received (attributes, NameID, the signature facts) and what the mapping made
 * of it are kept under that token for the admin session that started the run.
 *
 * Kept for a few minutes in a {@link StateStore}: the server passes the stores' shared `state`, so the result
 * shows whichever instance the IdP's POST reached; this is a diagnostic view, not an audit log.
 */
import type { SignInEvent } from '../../sp/service-provider.ts';
import { MemoryStateStore } from '../../store/memory/shared-state.ts';
import type { StateStore } from '../../store/shared-state.ts';

/** What one test sign-in received and produced. */
export interface TestRunResult {
  connectionId: string;
  at: string;
  nameId: { value: string; format?: string };
  sessionIndex?: string;
  issuer: string;
  attributes: Record<string, string[]>;
  profile: {
    email?: string;
    firstName?: string;
    lastName?: string;
    displayName?: string;
    groups: string[];
    externalId?: string;
    warnings: string[];
  };
  userId: string;
  signature: { signedElements: string[]; certificateFingerprint: string; algorithm: string };
  wasEncrypted: boolean;
}

const RESULT_PATH = /^\/admin\/connections\/([^/?#]+)\/test\/result\?run=([A-Za-z0-9_-]{43})$/;
/**
 * The setup portal's result page (src/http/setup/): it names no connection, so the portal compares the result's
 * `connectionId` with its link's connection when it reads the result.
 */
const PORTAL_RESULT_PATH = /^\/setup\/portal\/test-result\?run=([A-Za-z0-9_-]{43})$/;

/** The returnTo of a test run started from the setup portal. */
export function portalTestResultPath(run: string): string {
  return `/setup/portal/test-result?run=${run}`;
}

/** The returnTo of a test run. */
export function testResultPath(connectionId: string, run: string): string {
  return `/admin/connections/${encodeURIComponent(connectionId)}/test/result?run=${run}`;
}

export interface TestRunsOptions {
  /** Where results are kept. Default: in process memory (500 at most). */
  store?: StateStore;
  /** How long a result stays readable. Default 15 min. */
  ttlMs?: number;
}

/**
 * Test sign-in results by run token.
 *
 * @example
 * ```ts
 * const testRuns = new TestRuns({ store: stores.state });
 * const sp = new ServiceProvider({ ...options, onSignInResult: testRuns.capture });
 * ```
 */
export class TestRuns {
  readonly #store: StateStore;
  readonly #ttlMs: number;

  constructor(options: TestRunsOptions = {}) {
    this.#store = options.store ?? new MemoryStateStore({ maxEntries: 500 });
    this.#ttlMs = options.ttlMs ?? 15 * 60_000;
  }

  /** An `onSignInResult` handler: keeps successful sign-ins whose returnTo is a test-run result page. */
  capture = async (event: SignInEvent): Promise<void> => {
    if (!event.ok) return;
    const match = RESULT_PATH.exec(event.result.returnTo);
    const portal = PORTAL_RESULT_PATH.exec(event.result.returnTo);
    const run = portal
      ? portal[1]!
      : match && decodeURIComponent(match[1]!) === event.connectionId
        ? match[2]!
        : undefined;
    if (run === undefined) return;
    const { assertion, profile, user } = event.result;
    const result: TestRunResult = {
      connectionId: event.connectionId,
      at: event.at.toISOString(),
      nameId: {
        value: assertion.nameId.value,
        ...(assertion.nameId.format ? { format: assertion.nameId.format } : {}),
      },
      ...(assertion.sessionIndex ? { sessionIndex: assertion.sessionIndex } : {}),
      issuer: assertion.issuer,
      attributes: assertion.attributes,
      profile: { ...profile, groups: [...profile.groups], warnings: [...profile.warnings] },
      userId: user.id,
      signature: { ...assertion.signature, signedElements: [...assertion.signature.signedElements] },
      wasEncrypted: assertion.wasEncrypted,
    };
    const expiresAt = new Date(event.at.getTime() + this.#ttlMs);
    await this.#store.set(`test-run:${run}`, JSON.stringify(result), expiresAt, event.at);
  };

  /** The result of a run, if it arrived and has not expired. */
  async get(run: string, now = Date.now()): Promise<TestRunResult | undefined> {
    const json = await this.#store.get(`test-run:${run}`, new Date(now));
    return json === undefined ? undefined : (JSON.parse(json) as TestRunResult);
  }
}
