/**
 * Setup links (issue #12 item 3): one self-service link per customer organization, kept by the hash of its
 * token (the token itself is shown once, in the link, and never stored), with the log of every use.
 *
 * One adapter per backend (memory, SQLite, PostgreSQL), one contract suite (test/store/setup-links.contract.ts).
 */

/** A setup link as stored. The token is not here: only its SHA-256 (`tokenHash`). */
export interface SetupLinkRecord {
  /** Public id (`sl_…`), used to list and revoke; it grants nothing. */
  id: string;
  organizationId: string;
  /** SHA-256 (hex) of the link's token. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
  /** Who created it, as `kind:name` of the ChangeContext actor ("admin-token:admin", "cli:cli"). */
  createdBy: string;
  /** The connection this link sets up, reserved when the portal first needs its SP values. */
  connectionId?: string;
  /** When the customer's IT admin activated the connection after a passing test. */
  activatedAt?: Date;
}

/** One use of a link: who (IP, user agent), when and what. Refused uses (expired, revoked) are logged too. */
export interface SetupLinkUse {
  linkId: string;
  at: Date;
  /** What was done: "open", "metadata", "test-start", "activate", "refused-expired", … */
  action: string;
  ip?: string;
  userAgent?: string;
}

export interface SetupLinkStore {
  /** Inserts a new link (ids and token hashes are unique). */
  create(link: SetupLinkRecord): Promise<void>;
  get(id: string): Promise<SetupLinkRecord | undefined>;
  findByTokenHash(tokenHash: string): Promise<SetupLinkRecord | undefined>;
  /** The organization's links, newest first. */
  listForOrganization(organizationId: string): Promise<SetupLinkRecord[]>;
  /** Marks the link revoked at `at`; false when it is unknown or was already revoked (the first time stays). */
  revoke(id: string, at: Date): Promise<boolean>;
  /**
   * Binds `connectionId` to the link unless one is bound already; returns the id bound afterwards (the
   * existing one wins, so two tabs racing reserve one connection), or undefined for an unknown link.
   */
  bindConnection(id: string, connectionId: string): Promise<string | undefined>;
  /** Records the activation time (the first one stays). */
  markActivated(id: string, at: Date): Promise<void>;
  recordUse(use: SetupLinkUse): Promise<void>;
  /** The link's uses, oldest first, at most `limit` (default 200) of the most recent. */
  listUses(linkId: string, limit?: number): Promise<SetupLinkUse[]>;
}

/** Longest user agent kept in the use log. */
export const MAX_USER_AGENT = 512;

/** Clips a user agent for the use log. */
export function clipUserAgent(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, MAX_USER_AGENT);
}
