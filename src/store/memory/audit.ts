/** The audit log and admin tokens in process memory: tests and `DATABASE_URL=memory:`. */
import {
  type AdminTokenRecord,
  type AdminTokenStore,
  type AuditEntry,
  type AuditLogStore,
  type AuditQuery,
  auditLimit,
  type NewAuditEntry,
} from '../audit.ts';

/**
 * An in-process {@link AuditLogStore}: an array that only grows. Entries are copied in and out.
 *
 * @example
 * ```ts
 * const log = new MemoryAuditLogStore();
 * ```
 */
export class MemoryAuditLogStore implements AuditLogStore {
  readonly #entries: AuditEntry[] = [];

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    const stored = structuredClone({ ...entry, seq: this.#entries.length + 1 });
    this.#entries.push(stored);
    return structuredClone(stored);
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const { since, afterSeq, target } = query;
    const out: AuditEntry[] = [];
    const ordered = query.newestFirst ? [...this.#entries].reverse() : this.#entries;
    for (const entry of ordered) {
      if (since && entry.at < since) continue;
      if (afterSeq !== undefined && entry.seq <= afterSeq) continue;
      if (target && (entry.target.type !== target.type || entry.target.id !== target.id)) continue;
      out.push(structuredClone(entry));
      if (out.length >= auditLimit(query.limit)) break;
    }
    return out;
  }
}

/**
 * An in-process {@link AdminTokenStore}.
 *
 * @example
 * ```ts
 * const tokens = new MemoryAdminTokenStore();
 * ```
 */
export class MemoryAdminTokenStore implements AdminTokenStore {
  readonly #rows = new Map<string, AdminTokenRecord>();

  async create(record: AdminTokenRecord): Promise<void> {
    // The same uniqueness the databases enforce (primary key, UNIQUE token_hash).
    if (this.#rows.has(record.id)) throw new Error(`admin token ${record.id} already exists`);
    for (const row of this.#rows.values()) {
      if (row.tokenHash === record.tokenHash) throw new Error('an admin token with this hash already exists');
    }
    this.#rows.set(record.id, structuredClone(record));
  }

  async list(): Promise<AdminTokenRecord[]> {
    return [...this.#rows.values()].map((r) => structuredClone(r));
  }

  async get(id: string): Promise<AdminTokenRecord | undefined> {
    const row = this.#rows.get(id);
    return row && structuredClone(row);
  }

  async findByHash(tokenHash: string): Promise<AdminTokenRecord | undefined> {
    for (const row of this.#rows.values()) if (row.tokenHash === tokenHash) return structuredClone(row);
    return undefined;
  }

  async touch(id: string, at: Date): Promise<void> {
    const row = this.#rows.get(id);
    if (row) row.lastUsedAt = new Date(at);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!row || row.revokedAt) return false;
    row.revokedAt = new Date(at);
    return true;
  }
}
