/** The audit log and admin tokens in PostgreSQL (tables `audit_log` and `admin_tokens`, migration 8). */
import type { Pool } from 'pg';
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

interface AuditRow {
  seq: string;
  id: string;
  at: Date;
  actor_kind: string;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  before_json: unknown;
  after_json: unknown;
}

/**
 * A PostgreSQL {@link AuditLogStore}. Triggers refuse UPDATE, DELETE and TRUNCATE on the table (migration 8),
 * so the log is append-only for every client of the database, not only for this class.
 *
 * @example
 * ```ts
 * const log = new PostgresAuditLogStore(pool);
 * ```
 */
export class PostgresAuditLogStore implements AuditLogStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    const { rows } = await this.#pool.query<{ seq: string }>(
      `INSERT INTO audit_log (id, at, actor_kind, actor_name, action, target_type, target_id, before_json, after_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`,
      [
        entry.id,
        entry.at,
        entry.actor.kind,
        entry.actor.name,
        entry.action,
        entry.target.type,
        entry.target.id,
        json(entry.before),
        json(entry.after),
      ],
    );
    return { ...structuredClone(entry), seq: Number(rows[0]?.seq) };
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.since) where.push(`at >= ${param(query.since)}`);
    if (query.afterSeq !== undefined) where.push(`seq > ${param(query.afterSeq)}`);
    if (query.target) {
      where.push(`target_type = ${param(query.target.type)} AND target_id = ${param(query.target.id)}`);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT ${param(auditLimit(query.limit))}`;
    const { rows } = await this.#pool.query<AuditRow>(sql, values);
    return rows.map(toEntry);
  }
}

interface TokenRow {
  id: string;
  name: string;
  token_hash: string;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * A PostgreSQL {@link AdminTokenStore}.
 *
 * @example
 * ```ts
 * const tokens = new PostgresAdminTokenStore(pool);
 * ```
 */
export class PostgresAdminTokenStore implements AdminTokenStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async create(record: AdminTokenRecord): Promise<void> {
    await this.#pool.query(
      'INSERT INTO admin_tokens (id, name, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5)',
      [record.id, record.name, record.tokenHash, record.createdAt, record.createdBy],
    );
  }

  async list(): Promise<AdminTokenRecord[]> {
    const { rows } = await this.#pool.query<TokenRow>('SELECT * FROM admin_tokens ORDER BY created_at, seq');
    return rows.map(toToken);
  }

  async get(id: string): Promise<AdminTokenRecord | undefined> {
    const { rows } = await this.#pool.query<TokenRow>('SELECT * FROM admin_tokens WHERE id = $1', [id]);
    return rows[0] && toToken(rows[0]);
  }

  async findByHash(tokenHash: string): Promise<AdminTokenRecord | undefined> {
    const { rows } = await this.#pool.query<TokenRow>('SELECT * FROM admin_tokens WHERE token_hash = $1', [
      tokenHash,
    ]);
    return rows[0] && toToken(rows[0]);
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.#pool.query('UPDATE admin_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE admin_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [at, id],
    );
    return (rowCount ?? 0) > 0;
  }
}

/** jsonb parameters go as JSON text: pg would send a JS array as a PostgreSQL array otherwise. */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    seq: Number(row.seq),
    at: row.at,
    actor: { kind: row.actor_kind as Actor['kind'], name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    ...(row.before_json === null ? {} : { before: row.before_json }),
    ...(row.after_json === null ? {} : { after: row.after_json }),
  };
}

function toToken(row: TokenRow): AdminTokenRecord {
  return {
    id: row.id,
    name: row.name,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    createdBy: row.created_by,
    ...(row.last_used_at === null ? {} : { lastUsedAt: row.last_used_at }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}
