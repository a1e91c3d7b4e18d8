/** The OpenID bridge's records in PostgreSQL (migration 14), shared by every instance of a deployment. */
import type { Pool } from 'pg';
import type { OidcClientRecord, OidcPayloadRecord, OidcSigningKey, OidcStore } from '../oidc.ts';

interface KeyRow {
  kid: string;
  jwk: string;
  created_at: Date;
  superseded_at: Date | null;
  retire_at: Date | null;
}

export class PostgresOidcStore implements OidcStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async putClient(client: OidcClientRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oidc_clients (client_id, data) VALUES ($1, $2)
       ON CONFLICT (client_id) DO UPDATE SET data = excluded.data`,
      [client.clientId, JSON.stringify(client)],
    );
  }
  async getClient(clientId: string): Promise<OidcClientRecord | undefined> {
    const { rows } = await this.#pool.query<{ data: string }>(
      'SELECT data FROM oidc_clients WHERE client_id = $1',
      [clientId],
    );
    return rows[0] && (JSON.parse(rows[0].data) as OidcClientRecord);
  }
  async listClients(): Promise<OidcClientRecord[]> {
    const { rows } = await this.#pool.query<{ data: string }>(
      'SELECT data FROM oidc_clients ORDER BY client_id',
    );
    return rows.map((row) => JSON.parse(row.data) as OidcClientRecord);
  }
  async deleteClient(clientId: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM oidc_clients WHERE client_id = $1', [clientId]);
    return (rowCount ?? 0) > 0;
  }

  async putKey(key: OidcSigningKey): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oidc_keys (kid, jwk, created_at, superseded_at, retire_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kid) DO UPDATE SET superseded_at = excluded.superseded_at, retire_at = excluded.retire_at`,
      [
        key.kid,
        JSON.stringify(key.privateJwk),
        key.createdAt,
        key.supersededAt ?? null,
        key.retireAt ?? null,
      ],
    );
  }
  async listKeys(now: Date): Promise<OidcSigningKey[]> {
    const { rows } = await this.#pool.query<KeyRow>(
      'SELECT * FROM oidc_keys WHERE retire_at IS NULL OR retire_at > $1 ORDER BY created_at DESC, kid',
      [now],
    );
    return rows.map((row) => ({
      kid: row.kid,
      privateJwk: JSON.parse(row.jwk) as Record<string, unknown>,
      createdAt: row.created_at,
      ...(row.superseded_at ? { supersededAt: row.superseded_at } : {}),
      ...(row.retire_at ? { retireAt: row.retire_at } : {}),
    }));
  }

  async upsertPayload(r: OidcPayloadRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oidc_payloads (kind, id, payload, grant_id, account_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         account_id = excluded.account_id, uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
      [
        r.kind,
        r.id,
        JSON.stringify(r.payload),
        r.grantId ?? null,
        r.accountId ?? null,
        r.uid ?? null,
        r.userCode ?? null,
        r.expiresAt,
      ],
    );
  }
  async findPayload(kind: string, id: string, now: Date): Promise<Record<string, unknown> | undefined> {
    return this.#one('SELECT payload FROM oidc_payloads WHERE kind = $1 AND id = $2 AND expires_at > $3', [
      kind,
      id,
      now,
    ]);
  }
  async findPayloadBy(kind: string, field: 'uid' | 'userCode', value: string, now: Date) {
    const column = field === 'uid' ? 'uid' : 'user_code';
    return this.#one(
      `SELECT payload FROM oidc_payloads WHERE kind = $1 AND ${column} = $2 AND expires_at > $3`,
      [kind, value, now],
    );
  }
  async listPayloadsByAccount(kind: string, accountId: string, now: Date) {
    const { rows } = await this.#pool.query<{ id: string; payload: string }>(
      'SELECT id, payload FROM oidc_payloads WHERE kind = $1 AND account_id = $2 AND expires_at > $3',
      [kind, accountId, now],
    );
    return rows.map((row) => ({ id: row.id, payload: JSON.parse(row.payload) as Record<string, unknown> }));
  }
  async consumePayload(kind: string, id: string, at: Date): Promise<void> {
    await this.#pool.query(
      `UPDATE oidc_payloads SET payload = jsonb_set(payload::jsonb, '{consumed}', to_jsonb($1::bigint))::text
       WHERE kind = $2 AND id = $3`,
      [Math.floor(at.getTime() / 1000), kind, id],
    );
  }
  async destroyPayload(kind: string, id: string): Promise<void> {
    await this.#pool.query('DELETE FROM oidc_payloads WHERE kind = $1 AND id = $2', [kind, id]);
  }
  async revokeGrant(grantId: string): Promise<void> {
    await this.#pool.query('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
  }
  async purgeExpired(now: Date): Promise<number> {
    const { rowCount } = await this.#pool.query('DELETE FROM oidc_payloads WHERE expires_at <= $1', [now]);
    return rowCount ?? 0;
  }

  async #one(sql: string, params: unknown[]): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.#pool.query<{ payload: string }>(sql, params);
    return rows[0] && (JSON.parse(rows[0].payload) as Record<string, unknown>);
  }
}
