/**
 * Per-connection sign-in health: the last successful sign-in and the last refusal (with its code and hint),
 * for the admin page. Kept apart from the connection record on purpose: it is written on every sign-in, and a
 * read-modify-write of the whole connection there would race with admin edits and metadata refreshes.
 *
 * Adapters: memory and SQLite here; other backends implement the same five methods (one row per connection,
 * counters incremented atomically by the upsert).
 */

/** The last successful sign-in through a connection. */
export interface SignInSuccessRecord {
  at: Date;
  nameId: string;
  userId: string;
}

/** The last refused sign-in through a connection, as its SamlSpError described it. */
export interface SignInFailureRecord {
  at: Date;
  code: string;
  message: string;
  hint: string;
  /** The trace of this attempt (issue #13), when one was recorded. */
  traceId?: string;
}

/** What the store knows about one connection's sign-ins. */
export interface ConnectionHealth {
  connectionId: string;
  successCount: number;
  failureCount: number;
  lastSuccess?: SignInSuccessRecord;
  lastFailure?: SignInFailureRecord;
}

export interface ConnectionHealthStore {
  /**
   * Counts `count` successful sign-ins (default 1; more when a buffer flushes several at once, see
   * {@link BufferedConnectionHealth}) and keeps `success` as the last one.
   */
  recordSuccess(connectionId: string, success: SignInSuccessRecord, count?: number): Promise<void>;
  recordFailure(connectionId: string, failure: SignInFailureRecord): Promise<void>;
  get(connectionId: string): Promise<ConnectionHealth | undefined>;
  /** Sorted by connection id. */
  list(): Promise<ConnectionHealth[]>;
  /** Forgets a connection's health (when the connection is removed). */
  delete(connectionId: string): Promise<boolean>;
}

/** Longest failure message and hint kept, so a hostile IdP cannot fill the database through error texts. */
export const MAX_HEALTH_TEXT = 2000;

/** Truncates a text for storage. */
export function clip(text: string): string {
  return text.length > MAX_HEALTH_TEXT ? `${text.slice(0, MAX_HEALTH_TEXT - 1)}…` : text;
}
