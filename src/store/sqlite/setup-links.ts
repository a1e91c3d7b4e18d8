/** Setup links in SQLite (tables `setup_links` and `setup_link_uses`, migration 11). */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  clipUserAgent,
  type SetupLinkRecord,
  type SetupLinkStore,
  type SetupLinkUse,
} from '../setup-links.ts';
import { date, optionalText, text } from './database.ts';

/**
 * A SQLite {@link SetupLinkStore}.
 *
 * @example
 * ```ts
 * const links = new SqliteSetupLinkStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteSetupLinkStore implements SetupLinkStore {
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #byHash: StatementSync;
  readonly #list: StatementSync;
  readonly #revoke: StatementSync;
  readonly #bind: StatementSync;
  readonly #activate: StatementSync;
  readonly #use: StatementSync;
  readonly #uses: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      `INSERT INTO setup_links (id, organization_id, token_hash, created_at, expires_at, revoked_at, created_by,
                                connection_id, activated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare('SELECT * FROM setup_links WHERE id = ?');
    this.#byHash = db.prepare('SELECT * FROM setup_links WHERE token_hash = ?');
    this.#list = db.prepare(
      'SELECT * FROM setup_links WHERE organization_id = ? ORDER BY created_at DESC, id DESC',
    );
    this.#revoke = db.prepare('UPDATE setup_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.#bind = db.prepare(
      `UPDATE setup_links SET connection_id = coalesce(connection_id, ?) WHERE id = ? RETURNING connection_id`,
    );
    this.#activate = db.prepare(
      'UPDATE setup_links SET activated_at = coalesce(activated_at, ?) WHERE id = ?',
    );
    this.#use = db.prepare(
      'INSERT INTO setup_link_uses (link_id, at, action, ip, user_agent) VALUES (?, ?, ?, ?, ?)',
    );
    this.#uses = db.prepare(
      `SELECT * FROM (SELECT * FROM setup_link_uses WHERE link_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
    );
  }

  async create(link: SetupLinkRecord): Promise<void> {
    this.#insert.run(
      link.id,
      link.organizationId,
      link.tokenHash,
      link.createdAt.getTime(),
      link.expiresAt.getTime(),
      link.revokedAt?.getTime() ?? null,
      link.createdBy,
      link.connectionId ?? null,
      link.activatedAt?.getTime() ?? null,
    );
  }

  async get(id: string): Promise<SetupLinkRecord | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : toLink(row);
  }

  async findByTokenHash(tokenHash: string): Promise<SetupLinkRecord | undefined> {
    const row = this.#byHash.get(tokenHash);
    return row === undefined ? undefined : toLink(row);
  }

  async listForOrganization(organizationId: string): Promise<SetupLinkRecord[]> {
    return this.#list.all(organizationId).map(toLink);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    return Number(this.#revoke.run(at.getTime(), id).changes) > 0;
  }

  async bindConnection(id: string, connectionId: string): Promise<string | undefined> {
    const row = this.#bind.get(connectionId, id);
    return row === undefined ? undefined : text(row.connection_id);
  }

  async markActivated(id: string, at: Date): Promise<void> {
    this.#activate.run(at.getTime(), id);
  }

  async recordUse(use: SetupLinkUse): Promise<void> {
    this.#use.run(
      use.linkId,
      use.at.getTime(),
      use.action,
      use.ip ?? null,
      clipUserAgent(use.userAgent) ?? null,
    );
  }

  async listUses(linkId: string, limit = 200): Promise<SetupLinkUse[]> {
    return this.#uses.all(linkId, limit).map((row) => {
      const ip = optionalText(row.ip);
      const userAgent = optionalText(row.user_agent);
      return {
        linkId: text(row.link_id),
        at: date(row.at),
        action: text(row.action),
        ...(ip !== undefined ? { ip } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
      };
    });
  }
}

function toLink(row: Record<string, unknown>): SetupLinkRecord {
  const connectionId = optionalText(row.connection_id);
  return {
    id: text(row.id),
    organizationId: text(row.organization_id),
    tokenHash: text(row.token_hash),
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
    ...(row.revoked_at !== null ? { revokedAt: date(row.revoked_at) } : {}),
    createdBy: text(row.created_by),
    ...(connectionId !== undefined ? { connectionId } : {}),
    ...(row.activated_at !== null ? { activatedAt: date(row.activated_at) } : {}),
  };
}
