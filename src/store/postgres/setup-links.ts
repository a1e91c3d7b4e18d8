/** Setup links in PostgreSQL (tables `setup_links` and `setup_link_uses`, migration 11). */
import type { Pool } from 'pg';
import {
  clipUserAgent,
  type SetupLinkRecord,
  type SetupLinkStore,
  type SetupLinkUse,
} from '../setup-links.ts';

interface LinkRow {
  id: string;
  organization_id: string;
  token_hash: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  created_by: string;
  connection_id: string | null;
  activated_at: Date | null;
}

interface UseRow {
  link_id: string;
  at: Date;
  action: string;
  ip: string | null;
  user_agent: string | null;
}

const COLUMNS =
  'id, organization_id, token_hash, created_at, expires_at, revoked_at, created_by, connection_id, activated_at';

/**
 * A PostgreSQL {@link SetupLinkStore}, shared by every instance on the database.
 *
 * @example
 * ```ts
 * const links = new PostgresSetupLinkStore(pool);
 * ```
 */
export class PostgresSetupLinkStore implements SetupLinkStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async create(link: SetupLinkRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO setup_links (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        link.id,
        link.organizationId,
        link.tokenHash,
        link.createdAt,
        link.expiresAt,
        link.revokedAt ?? null,
        link.createdBy,
        link.connectionId ?? null,
        link.activatedAt ?? null,
      ],
    );
  }

  async get(id: string): Promise<SetupLinkRecord | undefined> {
    const { rows } = await this.#pool.query<LinkRow>(`SELECT ${COLUMNS} FROM setup_links WHERE id = $1`, [
      id,
    ]);
    return rows[0] && toLink(rows[0]);
  }

  async findByTokenHash(tokenHash: string): Promise<SetupLinkRecord | undefined> {
    const { rows } = await this.#pool.query<LinkRow>(
      `SELECT ${COLUMNS} FROM setup_links WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] && toLink(rows[0]);
  }

  async listForOrganization(organizationId: string): Promise<SetupLinkRecord[]> {
    const { rows } = await this.#pool.query<LinkRow>(
      `SELECT ${COLUMNS} FROM setup_links WHERE organization_id = $1 ORDER BY created_at DESC, id COLLATE "C" DESC`,
      [organizationId],
    );
    return rows.map(toLink);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE setup_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [at, id],
    );
    return (rowCount ?? 0) > 0;
  }

  async bindConnection(id: string, connectionId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ connection_id: string }>(
      'UPDATE setup_links SET connection_id = coalesce(connection_id, $1) WHERE id = $2 RETURNING connection_id',
      [connectionId, id],
    );
    return rows[0]?.connection_id;
  }

  async markActivated(id: string, at: Date): Promise<void> {
    await this.#pool.query('UPDATE setup_links SET activated_at = coalesce(activated_at, $1) WHERE id = $2', [
      at,
      id,
    ]);
  }

  async recordUse(use: SetupLinkUse): Promise<void> {
    await this.#pool.query(
      'INSERT INTO setup_link_uses (link_id, at, action, ip, user_agent) VALUES ($1, $2, $3, $4, $5)',
      [use.linkId, use.at, use.action, use.ip ?? null, clipUserAgent(use.userAgent) ?? null],
    );
  }

  async listUses(linkId: string, limit = 200): Promise<SetupLinkUse[]> {
    const { rows } = await this.#pool.query<UseRow>(
      `SELECT link_id, at, action, ip, user_agent FROM
         (SELECT * FROM setup_link_uses WHERE link_id = $1 ORDER BY seq DESC LIMIT $2) recent
       ORDER BY seq`,
      [linkId, limit],
    );
    return rows.map((row) => ({
      linkId: row.link_id,
      at: row.at,
      action: row.action,
      ...(row.ip !== null ? { ip: row.ip } : {}),
      ...(row.user_agent !== null ? { userAgent: row.user_agent } : {}),
    }));
  }
}

function toLink(row: LinkRow): SetupLinkRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    createdBy: row.created_by,
    ...(row.connection_id !== null ? { connectionId: row.connection_id } : {}),
    ...(row.activated_at !== null ? { activatedAt: row.activated_at } : {}),
  };
}
