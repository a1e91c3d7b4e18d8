/** The audit log and admin tokens in SQLite (tables `audit_log` and `admin_tokens`, migration 8). */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Actor } from '../../sp/change-context.ts';
import {
  type AdminTokenRecord,
  type AdminTokenStore,
  type AuditEntry,
  type AuditLogStore,
  type AuditQuery,
  auditLimit,
  type NewAuditEntry,
} from '../audit.ts';
import { date, optionalText, text } from './database.ts';

/**
 * A SQLite {@link AuditLogStore}. Triggers refuse UPDATE and DELETE on the table, so the log is append-only
 * below this class too.
 *
 * @example
 * ```ts
 * const log = new SqliteAuditLogStore(openSqliteDatabase('/var/lib/saml-sp/saml-sp.db'));
 * ```
 */
export class SqliteAuditLogStore implements AuditLogStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO audit_log (id, at, actor_kind, actor_name, action, target_type, target_id, before_json, after_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
    );
  }

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = this.#insert.get(
      entry.id,
      entry.at.getTime(),
      entry.actor.kind,
      entry.actor.name,
      entry.action,
      entry.target.type,
      entry.target.id,
      json(entry.before),
      json(entry.after),
    );
    return { ...structuredClone(entry), seq: Number(row?.seq) };
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const values: SQLInputValue[] = [];
    if (query.since) {
      where.push('at >= ?');
      values.push(query.since.getTime());
    }
    if (query.afterSeq !== undefined) {
      where.push('seq > ?');
      values.push(query.afterSeq);
    }
    if (query.target) {
      where.push('target_type = ? AND target_id = ?');
      values.push(query.target.type, query.target.id);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    return this.#db
      .prepare(sql)
      .all(...values, auditLimit(query.limit))
      .map(toEntry);
  }
}

/**
 * A SQLite {@link AdminTokenStore}.
 *
 * @example
 * ```ts
 * const tokens = new SqliteAdminTokenStore(db);
 * ```
 */
export class SqliteAdminTokenStore implements AdminTokenStore {
  readonly #insert: StatementSync;
  readonly #list: StatementSync;
  readonly #get: StatementSync;
  readonly #byHash: StatementSync;
  readonly #touch: StatementSync;
  readonly #revoke: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      'INSERT INTO admin_tokens (id, name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
    );
    this.#list = db.prepare('SELECT * FROM admin_tokens ORDER BY created_at, rowid');
    this.#get = db.prepare('SELECT * FROM admin_tokens WHERE id = ?');
    this.#byHash = db.prepare('SELECT * FROM admin_tokens WHERE token_hash = ?');
    this.#touch = db.prepare('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?');
    this.#revoke = db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  }

  async create(record: AdminTokenRecord): Promise<void> {
    this.#insert.run(record.id, record.name, record.tokenHash, record.createdAt.getTime(), record.createdBy);
  }

  async list(): Promise<AdminTokenRecord[]> {
    return this.#list.all().map(toToken);
  }

  async get(id: string): Promise<AdminTokenRecord | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toToken(row);
  }

  async findByHash(tokenHash: string): Promise<AdminTokenRecord | undefined> {
    const row = this.#byHash.get(tokenHash);
    return row === undefined ? undefined : toToken(row);
  }

  async touch(id: string, at: Date): Promise<void> {
    this.#touch.run(at.getTime(), id);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    return Number(this.#revoke.run(at.getTime(), id).changes) > 0;
  }
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function toEntry(row: Record<string, unknown>): AuditEntry {
  const before = optionalText(row.before_json);
  const after = optionalText(row.after_json);
  return {
    id: text(row.id),
    seq: Number(row.seq),
    at: date(row.at),
    actor: { kind: text(row.actor_kind) as Actor['kind'], name: text(row.actor_name) },
    action: text(row.action),
    target: { type: text(row.target_type), id: text(row.target_id) },
    ...(before === undefined ? {} : { before: JSON.parse(before) as unknown }),
    ...(after === undefined ? {} : { after: JSON.parse(after) as unknown }),
  };
}

function toToken(row: Record<string, unknown>): AdminTokenRecord {
  return {
    id: text(row.id),
    name: text(row.name),
    tokenHash: text(row.token_hash),
    createdAt: date(row.created_at),
    createdBy: text(row.created_by),
    ...(row.last_used_at === null ? {} : { lastUsedAt: date(row.last_used_at) }),
    ...(row.revoked_at === null ? {} : { revokedAt: date(row.revoked_at) }),
  };
}
