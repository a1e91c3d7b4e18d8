/**
 * Sign-in and logout traces (issue #13): one record per ACS or SLO attempt, looked up by its trace ID (the
 * one the end-user error page shows) or listed per connection. Written on every attempt and read by admins
 * only, so the interface is small: put, get, list, purge. Retention and the size cap are enforced by
 * `purge`, which the trace sweeper (src/trace/sweeper.ts) calls.
 */
import type { CheckTrace } from '../core/response/checklist.ts';

/** One line of the checklist; logout traces use their own check names, so the id is a plain string here. */
export type TraceCheck = Omit<CheckTrace, 'check'> & { check: string };

/** An AES-256-GCM sealed copy of the raw message (src/trace/raw-capture.ts). */
export interface SealedMessage {
  /** Which key sealed it (a short fingerprint), so a key change reads as "sealed with another key". */
  keyId: string;
  /** base64url of iv (12 bytes) | ciphertext | tag (16 bytes). */
  sealed: string;
}

export interface SignInTrace {
  /** Short, human-readable, shown to the end user and quoted to support: `K7QM4-XD2PA`. */
  traceId: string;
  kind: 'acs' | 'slo';
  at: Date;
  /** As it appeared in the URL (may name no connection: anyone can POST to /saml/<anything>/acs). */
  connectionId: string;
  /** The connection's display name at the time, when the connection exists. */
  connectionName?: string;
  /** The organization the connection belonged to at the time. */
  organizationId?: string;
  outcome: 'succeeded' | 'failed';
  /**
   * True only when a signature verified and the message answered a pending request of this browser (or was
   * a logout the SP could verify). Everything else read from an unverified message is a stranger's text:
   * shown to admins only in the trace view, escaped and marked "unverified".
   */
  verified: boolean;
  errorCode?: string;
  /** The error's message and hint (for an unverified message they may quote the stranger's text). */
  message?: string;
  hint?: string;
  /** The first check that failed, e.g. `audience`. */
  failedCheck?: string;
  /** The whole checklist as `saml-sp inspect` prints it. */
  checks: TraceCheck[];
  /** The Issuer the message named (verified or not, see `verified`). */
  idpIssuer?: string;
  nameId?: string;
  /** Names only: attribute values are never kept. */
  attributeNames: string[];
  clientIp?: string;
  userAgent?: string;
  /** Present only while an admin switched raw capture on for the connection. */
  rawMessage?: SealedMessage;
}

export interface TraceQuery {
  connectionId?: string;
  outcome?: 'succeeded' | 'failed';
  /** Newest first; at most this many (default 50, at most 500). */
  limit?: number;
}

export interface TraceStore {
  /** Records one attempt (trace IDs are random: a collision replaces nothing, the second write is dropped). */
  put(trace: SignInTrace): Promise<void>;
  /**
   * Records several at once, as one write where the backend can (one transaction on SQLite, one INSERT on
   * PostgreSQL): how BufferedTraceStore writes its batches. Optional: without it each is `put` in turn.
   */
  putMany?(traces: readonly SignInTrace[]): Promise<void>;
  get(traceId: string): Promise<SignInTrace | undefined>;
  /** Newest first. */
  list(query?: TraceQuery): Promise<SignInTrace[]>;
  /** Drops traces older than `olderThan`, then the oldest beyond `maxCount`; returns how many went. */
  purge(options: { olderThan: Date; maxCount: number }): Promise<number>;
}

export const DEFAULT_TRACE_LIST_LIMIT = 50;
export const MAX_TRACE_LIST_LIMIT = 500;

/** The limit a query asks for, within bounds. */
export function traceListLimit(query: TraceQuery | undefined): number {
  const limit = query?.limit ?? DEFAULT_TRACE_LIST_LIMIT;
  return Math.max(1, Math.min(MAX_TRACE_LIST_LIMIT, Math.trunc(limit) || DEFAULT_TRACE_LIST_LIMIT));
}

/** The columns a backend indexes; the rest of the trace travels as one JSON document. */
export function traceBody(
  trace: SignInTrace,
): Omit<SignInTrace, 'traceId' | 'at' | 'connectionId' | 'outcome'> {
  const { traceId: _t, at: _a, connectionId: _c, outcome: _o, ...body } = trace;
  return body;
}
