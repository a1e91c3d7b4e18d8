/**
 * "Test sign-in" from the admin page: a real SP-initiated SSO whose returnTo names a run token; when the ACS
 * accepts the response, what it received (attributes, NameID, the signature facts) and what the mapping made
 * of it are kept under that token for the admin session that started the run.
 *
 * Kept in process memory for a few minutes: this is a diagnostic view, not an audit log.
 */
import type { SignInEvent } from '../../sp/service-provider.ts';

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

/** The returnTo of a test run. */
export function testResultPath(connectionId: string, run: string): string {
  return `/admin/connections/${encodeURIComponent(connectionId)}/test/result?run=${run}`;
}

export class TestRuns {
  readonly #results = new Map<string, { result: TestRunResult; expiresAt: number }>();
  readonly #ttlMs: number;

  constructor(ttlMs = 15 * 60_000) {
    this.#ttlMs = ttlMs;
  }

  /** An `onSignInResult` handler: keeps successful sign-ins whose returnTo is a test-run result page. */
  capture = (event: SignInEvent): void => {
    if (!event.ok) return;
    const match = RESULT_PATH.exec(event.result.returnTo);
    if (!match || decodeURIComponent(match[1]!) !== event.connectionId) return;
    const { assertion, profile, user } = event.result;
    this.#purge(event.at.getTime());
    if (this.#results.size >= 500) this.#results.clear();
    this.#results.set(match[2]!, {
      expiresAt: event.at.getTime() + this.#ttlMs,
      result: {
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
      },
    });
  };

  /** The result of a run, if it arrived and has not expired. */
  get(run: string, now = Date.now()): TestRunResult | undefined {
    const entry = this.#results.get(run);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#results.delete(run);
      return undefined;
    }
    return entry.result;
  }

  #purge(now: number): void {
    for (const [run, entry] of this.#results) if (entry.expiresAt <= now) this.#results.delete(run);
  }
}
