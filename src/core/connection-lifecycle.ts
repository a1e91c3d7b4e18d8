/**
 * Where a connection stands in its life (issue #12): created first as a `draft` with nothing but a name and its
 * own SP values, `testing` once IdP metadata arrived, `active` after a passing test sign-in or an app admin's
 * recorded override. Only an active connection signs real users in; the others answer test sign-ins only.
 *
 * Plain data stored on the connection (JSON, like the rest of it), so no backend needs a new column.
 */

/** `draft`: no IdP metadata yet; `testing`: metadata present, no passing test; `active`: accepts sign-ins. */
export type ConnectionStatus = 'draft' | 'testing' | 'active';
export const CONNECTION_STATUSES: readonly ConnectionStatus[] = ['draft', 'testing', 'active'];

/**
 * Which SP entity ID the connection presents to its IdP:
 * - `connection`: its own, the connection's SP metadata URL (`<BASE_URL>/saml/<id>/metadata`). The default for
 *   connections created through the ConnectionService: two connections to one IdP never collide.
 * - `shared`: the server's SP_ENTITY_ID, shared by every connection that chooses it (connections stored before
 *   0.3 keep it; the migration wrote it down).
 * - `custom`: the value in `spEntityId`, typed by an admin (some IdPs want a tenant-specific URN).
 */
export type SpEntityIdMode = 'connection' | 'shared' | 'custom';
export const SP_ENTITY_ID_MODES: readonly SpEntityIdMode[] = ['connection', 'shared', 'custom'];

/** Who did something, as recorded (the sp layer's `Actor`, kept structural so the core needs no import). */
export interface RecordedActor {
  kind: string;
  name: string;
}

/** How a connection became active. */
export interface ActivationRecord {
  at: string;
  actor: RecordedActor;
  /**
   * `test`: a test sign-in passed; `override`: an app admin activated without one; `created`: an app admin
   * created it with metadata through the API or CLI without asking for a test (an override too);
   * `migration`: it existed before connection statuses did.
   */
  via: 'test' | 'override' | 'created' | 'migration';
  /** The passing test run, for `via: 'test'`. */
  testRun?: string;
}

/** The last test sign-in's verdict, kept on the connection (the full result lives in the test-run store). */
export interface TestVerdict {
  run: string;
  at: string;
  outcome: TestOutcome;
  /** The failing code, for `failed`. */
  code?: string;
  actor: RecordedActor;
}

/** `passed-with-warnings`: valid, but fields the preset expects are unmapped although the IdP sent attributes. */
export type TestOutcome = 'passed' | 'passed-with-warnings' | 'failed';

/** One entry of the connection's edit history. */
export interface ConnectionChange {
  at: string;
  actor: RecordedActor;
  action: 'created' | 'updated' | 'activated' | 'tested';
  /** The fields an update touched (`displayName`, `metadataUrl`, `spEntityId`, ...). */
  fields?: string[];
}

/**
 * How many edits a connection remembers. The history is a convenience for the admin page ("who changed the
 * metadata yesterday?"); the audit log is the complete, append-only record.
 */
export const HISTORY_LIMIT = 50;

/**
 * The status of a stored connection. A connection without one was built by `connectionFromMetadata` (library
 * use, the dev IdP, the Keycloak runner) and is active, as every connection was before statuses existed.
 *
 * @example
 * ```ts
 * if (connectionStatus(connection) !== 'active') throw notActive(connection);
 * ```
 */
export function connectionStatus(connection: { status?: ConnectionStatus | undefined }): ConnectionStatus {
  return connection.status ?? 'active';
}

/** Appends a change, keeping the last {@link HISTORY_LIMIT}. */
export function withChange<T extends { history?: ConnectionChange[] | undefined }>(
  connection: T,
  change: ConnectionChange,
): T {
  const history = [...(connection.history ?? []), change].slice(-HISTORY_LIMIT);
  return { ...connection, history };
}
