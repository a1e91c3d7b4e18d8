/**
 * The audit log and the admin identities, as storage ports.
 *
 * The audit log is append-only by construction: its port has `append` and reads, and nothing that changes or
 * removes an entry. The SQLite and PostgreSQL adapters back that with triggers that refuse UPDATE and DELETE
 * (and TRUNCATE in PostgreSQL), so a bug or a stray script cannot rewrite history either. Pruning old entries
 * is an operator's deliberate act at the database (README, "Audit log").
 *
 * Admin tokens are stored as a SHA-256 of the token: the tokens are 256 random bits, so a fast hash is as good
 * as a slow KDF here (there is no dictionary to try), and lookups stay one indexed read per request.
 */
import type { Actor } from '../sp/change-context.ts';

/** What an admin action touched. */
export interface AuditTarget {
  /** `connection`, `admin-token`, `organization`, `setup-link`, ... */
  type: string;
  id: string;
}

/** One recorded admin action. `before` and `after` are JSON values with secrets already redacted. */
export interface AuditEntry {
  /** Unique id (UUID). */
  id: string;
  /** Insertion order within one store: the cursor of {@link AuditQuery.afterSeq}. */
  seq: number;
  at: Date;
  actor: Actor;
  /** `connection.updated`, `admin_token.created`, `admin.signed_in`, ... */
  action: string;
  target: AuditTarget;
  before?: unknown;
  after?: unknown;
}

/** An entry before the store numbered it. */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

export interface AuditQuery {
  /** Entries at or after this time. */
  since?: Date;
  /** Entries with a larger `seq` (paging: pass the last `seq` you received). */
  afterSeq?: number;
  /** Most entries returned, oldest first. Default 1000. */
  limit?: number;
  /** Only this target (e.g. one connection's history). */
  target?: AuditTarget;
  /** Newest first (the admin page's view). Default: oldest first, the order of paging and export. */
  newestFirst?: boolean;
}

export interface AuditLogStore {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Oldest first (by `seq`), unless `newestFirst`. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** One named admin token. The token itself is never stored, only its SHA-256 (hex). */
export interface AdminTokenRecord {
  id: string;
  name: string;
  tokenHash: string;
  createdAt: Date;
  /** The actor name that created it (`bootstrap`, another token's name, `cli:alice`). */
  createdBy: string;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

export interface AdminTokenStore {
  create(record: AdminTokenRecord): Promise<void>;
  /** Every token, revoked ones included, oldest first. */
  list(): Promise<AdminTokenRecord[]>;
  get(id: string): Promise<AdminTokenRecord | undefined>;
  findByHash(tokenHash: string): Promise<AdminTokenRecord | undefined>;
  /** Records a use. */
  touch(id: string, at: Date): Promise<void>;
  /** Marks the token revoked; false when it does not exist or was already revoked. */
  revoke(id: string, at: Date): Promise<boolean>;
}

/** The default page size of {@link AuditLogStore.list}, and its ceiling. */
export const DEFAULT_AUDIT_LIMIT = 1000;
export const MAX_AUDIT_LIMIT = 10_000;

export function auditLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_AUDIT_LIMIT;
  return Math.max(1, Math.min(MAX_AUDIT_LIMIT, Math.floor(limit)));
}
