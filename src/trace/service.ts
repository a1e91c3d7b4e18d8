/**
 * The trace service: records every ACS attempt (from the ServiceProvider's `onSignInResult`) and every SLO
 * attempt (from the SLO router), looks traces up for the admin API, page and CLI, and keeps the per-connection
 * raw-capture switch. Storage is a {@link TraceStore}; the capture switch lives in the shared state store so
 * that every instance sees it.
 */
import { type CheckTrace, RESPONSE_CHECKS } from '../core/response/checklist.ts';
import type { SignInEvent } from '../sp/service-provider.ts';
import type { StateStore } from '../store/shared-state.ts';
import type { SignInTrace, TraceQuery, TraceStore } from '../store/traces.ts';
import { failureFacts } from './failure.ts';
import { peekResponse } from './peek.ts';
import { UnverifiedTraceBudget } from './rate-limit.ts';
import { type CaptureKey, MAX_CAPTURE_MINUTES, seal, unseal } from './raw-capture.ts';

export const DEFAULT_TRACE_RETENTION_DAYS = 7;
export const DEFAULT_TRACE_MAX_COUNT = 100_000;
export const DEFAULT_UNVERIFIED_TRACES_PER_MINUTE = 60;
/**
 * How long an ACS attempt trusts this instance's last read of a connection's capture switch, in ms. The switch
 * was one shared-state read per attempt (on SQLite a read transaction of the file, 2% of a sign-in's CPU) for
 * a value an admin changes a few times a year. With this, an admin's change applies at once on the instance
 * that made it, and within this long on every other one: a capture switched on starts keeping messages within
 * a second everywhere; one switched off may keep a second's more (sealed, and purged with its trace).
 */
export const DEFAULT_CAPTURE_CHECK_MS = 1_000;
/** Connections whose capture switch is remembered; past that the memory is dropped and read again. */
const CAPTURE_CHECKS_KEPT = 1_000;

export interface TraceServiceOptions {
  store: TraceStore;
  /** Where the raw-capture switch lives (shared by every instance). */
  state: StateStore;
  /** Seals captured raw messages (src/trace/raw-capture.ts explains where it comes from). */
  captureKey: CaptureKey;
  /** Default {@link DEFAULT_TRACE_RETENTION_DAYS}. */
  retentionDays?: number;
  /** Default {@link DEFAULT_TRACE_MAX_COUNT}. */
  maxCount?: number;
  /** Unverified attempts traced per connection and minute; default {@link DEFAULT_UNVERIFIED_TRACES_PER_MINUTE}. */
  unverifiedPerMinute?: number;
  now?: () => Date;
  /** How long an attempt trusts the last read of the capture switch; default {@link DEFAULT_CAPTURE_CHECK_MS}. 0: every attempt reads it. */
  captureCheckMs?: number;
  /** Told when a trace could not be written or unverified attempts went untraced (budget spent). */
  onProblem?: (event: string, fields: Record<string, unknown>) => void;
}

/** A logout attempt as the SLO router saw it. */
export interface LogoutAttempt {
  traceId: string;
  connectionId: string;
  connectionName?: string;
  ok: boolean;
  /** The signature of the logout message verified (only then may its facts be shown as the IdP's). */
  verified: boolean;
  error?: unknown;
  /** What the router learnt, as check lines (`binding`, `signature`, `session`...). */
  checks: { check: string; status: 'pass' | 'fail' | 'skip'; detail?: string }[];
  issuer?: string;
  nameId?: string;
  client?: { ip?: string; userAgent?: string };
}

const CLIP = 300;

export class TraceService {
  readonly store: TraceStore;
  readonly retentionDays: number;
  readonly maxCount: number;
  readonly #state: StateStore;
  readonly #key: CaptureKey;
  readonly #budget: UnverifiedTraceBudget;
  readonly #now: () => Date;
  readonly #onProblem: NonNullable<TraceServiceOptions['onProblem']>;
  readonly #captureCheckMs: number;
  /** Per connection: the capture switch as last read, and when (performance.now(), not the injectable clock). */
  readonly #captureChecks = new Map<string, { until: Date | undefined; readAt: number }>();

  constructor(options: TraceServiceOptions) {
    this.store = options.store;
    this.#state = options.state;
    this.#key = options.captureKey;
    this.retentionDays = options.retentionDays ?? DEFAULT_TRACE_RETENTION_DAYS;
    this.maxCount = options.maxCount ?? DEFAULT_TRACE_MAX_COUNT;
    this.#budget = new UnverifiedTraceBudget(
      options.unverifiedPerMinute ?? DEFAULT_UNVERIFIED_TRACES_PER_MINUTE,
    );
    this.#now = options.now ?? (() => new Date());
    this.#onProblem = options.onProblem ?? (() => {});
    this.#captureCheckMs = options.captureCheckMs ?? DEFAULT_CAPTURE_CHECK_MS;
  }

  /**
   * An `onSignInResult` handler: one trace per ACS attempt. Unverified attempts are traced within the
   * per-minute budget. Never throws (a trace that cannot be written is reported to `onProblem`).
   *
   * @example
   * ```ts
   * new ServiceProvider({ ..., onSignInResult: (e) => traces.recordSignIn(e) });
   * ```
   */
  async recordSignIn(event: SignInEvent): Promise<void> {
    const attempt = event.attempt;
    if (!attempt || !this.#admit(attempt.verified, event.connectionId, attempt.traceId)) return;
    const checks = attempt.checks.map(copyCheck);
    const trace: SignInTrace = {
      traceId: attempt.traceId,
      kind: 'acs',
      at: event.at,
      connectionId: clip(event.connectionId),
      ...(attempt.connectionName ? { connectionName: attempt.connectionName } : {}),
      ...(attempt.organizationId ? { organizationId: attempt.organizationId } : {}),
      outcome: event.ok ? 'succeeded' : 'failed',
      verified: attempt.verified,
      checks,
      attributeNames: [],
      ...clientFacts(attempt.client),
    };
    if (event.ok) {
      const { assertion } = event.result;
      trace.idpIssuer = assertion.issuer;
      trace.nameId = assertion.nameId.value;
      trace.attributeNames = Object.keys(assertion.attributes);
    } else {
      const facts = failureFacts(event.error);
      trace.errorCode = facts.code;
      trace.message = facts.message;
      trace.hint = facts.hint;
      const failed = checks.find((c) => c.status === 'fail');
      if (failed) trace.failedCheck = failed.check;
      const claims = peekResponse(attempt.samlResponse);
      if (claims?.issuer) trace.idpIssuer = claims.issuer;
      if (claims?.nameId) trace.nameId = claims.nameId;
      if (claims) trace.attributeNames = claims.attributeNames;
    }
    if (attempt.samlResponse && (await this.#capturing(event.connectionId))) {
      trace.rawMessage = seal(attempt.samlResponse, this.#key, attempt.traceId);
    }
    await this.#put(trace);
  }

  /** One trace per SLO attempt (same budget for unverified ones). Never throws. */
  async recordLogout(attempt: LogoutAttempt): Promise<void> {
    if (!this.#admit(attempt.verified, attempt.connectionId, attempt.traceId)) return;
    const trace: SignInTrace = {
      traceId: attempt.traceId,
      kind: 'slo',
      at: this.#now(),
      connectionId: clip(attempt.connectionId),
      ...(attempt.connectionName ? { connectionName: attempt.connectionName } : {}),
      outcome: attempt.ok ? 'succeeded' : 'failed',
      verified: attempt.verified,
      checks: attempt.checks.map(copyCheck),
      attributeNames: [],
      ...(attempt.issuer ? { idpIssuer: clip(attempt.issuer) } : {}),
      ...(attempt.nameId ? { nameId: clip(attempt.nameId) } : {}),
      ...clientFacts(attempt.client),
    };
    if (!attempt.ok) {
      const facts = failureFacts(attempt.error);
      trace.errorCode = facts.code;
      trace.message = facts.message;
      trace.hint = facts.hint;
      const failed = trace.checks.find((c) => c.status === 'fail');
      if (failed) trace.failedCheck = failed.check;
    }
    await this.#put(trace);
  }

  get(traceId: string): Promise<SignInTrace | undefined> {
    return this.store.get(traceId);
  }

  list(query: TraceQuery = {}): Promise<SignInTrace[]> {
    return this.store.list(query);
  }

  /** Drops what is past the retention, then the oldest past the cap. */
  purge(): Promise<number> {
    const olderThan = new Date(this.#now().getTime() - this.retentionDays * 86_400_000);
    return this.store.purge({ olderThan, maxCount: this.maxCount });
  }

  /**
   * Keeps the raw SAMLResponse of this connection's attempts, sealed, for `minutes` (at most 24 h). Returns
   * when capture ends.
   */
  async startCapture(connectionId: string, minutes: number): Promise<Date> {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_CAPTURE_MINUTES) {
      throw new RangeError(`Capture lasts 1 to ${MAX_CAPTURE_MINUTES} minutes, not ${minutes}.`);
    }
    const now = this.#now();
    const until = new Date(now.getTime() + minutes * 60_000);
    await this.#state.set(captureKeyOf(connectionId), until.toISOString(), until, now);
    this.#rememberCapture(connectionId, until);
    return until;
  }

  async stopCapture(connectionId: string): Promise<void> {
    await this.#state.delete(captureKeyOf(connectionId));
    this.#rememberCapture(connectionId, undefined);
  }

  /** When raw capture for the connection ends, or undefined when it is off. */
  async captureUntil(connectionId: string): Promise<Date | undefined> {
    const value = await this.#state.get(captureKeyOf(connectionId), this.#now());
    return value ? new Date(value) : undefined;
  }

  /**
   * Whether an attempt on the connection keeps its raw message: the switch as read at most `captureCheckMs`
   * ago ({@link DEFAULT_CAPTURE_CHECK_MS}). A read that fails counts as off, and is not remembered.
   */
  async #capturing(connectionId: string): Promise<boolean> {
    const known = this.#captureChecks.get(connectionId);
    let until = known?.until;
    if (!known || performance.now() - known.readAt >= this.#captureCheckMs) {
      const read = await this.captureUntil(connectionId).then(
        (value) => ({ value }),
        () => undefined,
      );
      if (!read) return false;
      until = read.value;
      this.#rememberCapture(connectionId, until);
    }
    // The window's end is judged at every attempt: a capture ends on time, whenever the switch was read.
    return until !== undefined && until.getTime() > this.#now().getTime();
  }

  #rememberCapture(connectionId: string, until: Date | undefined): void {
    if (this.#captureCheckMs <= 0) return;
    // Connection IDs of attempts include unknown ones a stranger made up: the memory is bounded.
    if (this.#captureChecks.size >= CAPTURE_CHECKS_KEPT && !this.#captureChecks.has(connectionId))
      this.#captureChecks.clear();
    this.#captureChecks.set(connectionId, { until, readAt: performance.now() });
  }

  /** The captured raw message of a trace, opened; undefined when none was captured. Throws on a key mismatch. */
  openRawMessage(trace: SignInTrace): string | undefined {
    return trace.rawMessage && unseal(trace.rawMessage, this.#key, trace.traceId);
  }

  #admit(verified: boolean, connectionId: string, traceId: string): boolean {
    if (verified || this.#budget.take(connectionId, this.#now())) return true;
    // Reported at the first drop of a window, and every 1000th after, so a flood cannot flood the log either.
    if (this.#budget.dropped % 1000 === 1)
      this.#onProblem('trace.unverified_budget_spent', { connectionId: clip(connectionId), traceId });
    return false;
  }

  async #put(trace: SignInTrace): Promise<void> {
    try {
      await this.store.put(trace);
    } catch (error) {
      this.#onProblem('trace.write_failed', {
        traceId: trace.traceId,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The title of an ACS check (`saml-sp inspect` and the trace views show it beside the id). */
export function checkTitle(check: string): string | undefined {
  return RESPONSE_CHECKS.find((c) => c.id === check)?.title;
}

function captureKeyOf(connectionId: string): string {
  return `trace-capture:${connectionId}`;
}

function copyCheck(c: CheckTrace | LogoutAttempt['checks'][number]) {
  return {
    check: c.check,
    status: c.status,
    ...(c.detail !== undefined ? { detail: clip(c.detail, 1000) } : {}),
  };
}

function clientFacts(client: { ip?: string; userAgent?: string } | undefined) {
  return {
    ...(client?.ip ? { clientIp: clip(client.ip, 64) } : {}),
    ...(client?.userAgent ? { userAgent: clip(client.userAgent) } : {}),
  };
}

function clip(text: string, max = CLIP): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
