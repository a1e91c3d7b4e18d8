/** The OpenID bridge's records in SQLite (migration 14). */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { OidcClientRecord, OidcPayloadRecord, OidcSigningKey, OidcStore } from '../oidc.ts';
import { text } from './database.ts';

export class SqliteOidcStore implements OidcStore {
  readonly #s: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    this.#s = {
      putClient: db.prepare(
        'INSERT INTO oidc_clients (client_id, data) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET data = excluded.data',
      ),
      getClient: db.prepare('SELECT data FROM oidc_clients WHERE client_id = ?'),
      listClients: db.prepare('SELECT data FROM oidc_clients ORDER BY client_id'),
      deleteClient: db.prepare('DELETE FROM oidc_clients WHERE client_id = ?'),
      putKey: db.prepare(
        `INSERT INTO oidc_keys (kid, jwk, created_at, superseded_at, retire_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (kid) DO UPDATE SET superseded_at = excluded.superseded_at, retire_at = excluded.retire_at`,
      ),
      listKeys: db.prepare(
        'SELECT * FROM oidc_keys WHERE retire_at IS NULL OR retire_at > ? ORDER BY created_at DESC, kid',
      ),
      upsert: db.prepare(
        `INSERT INTO oidc_payloads (kind, id, payload, grant_id, account_id, uid, user_code, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           account_id = excluded.account_id, uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
      ),
      find: db.prepare('SELECT payload FROM oidc_payloads WHERE kind = ? AND id = ? AND expires_at > ?'),
      findByUid: db.prepare(
        'SELECT payload FROM oidc_payloads WHERE kind = ? AND uid = ? AND expires_at > ?',
      ),
      findByUserCode: db.prepare(
        'SELECT payload FROM oidc_payloads WHERE kind = ? AND user_code = ? AND expires_at > ?',
      ),
      byAccount: db.prepare(
        'SELECT id, payload FROM oidc_payloads WHERE kind = ? AND account_id = ? AND expires_at > ?',
      ),
      consume: db.prepare(
        "UPDATE oidc_payloads SET payload = json_set(payload, '$.consumed', ?) WHERE kind = ? AND id = ?",
      ),
      destroy: db.prepare('DELETE FROM oidc_payloads WHERE kind = ? AND id = ?'),
      revoke: db.prepare('DELETE FROM oidc_payloads WHERE grant_id = ?'),
      purge: db.prepare('DELETE FROM oidc_payloads WHERE expires_at <= ?'),
    };
  }

  async putClient(client: OidcClientRecord): Promise<void> {
    this.#s.putClient!.run(client.clientId, JSON.stringify(client));
  }
  async getClient(clientId: string): Promise<OidcClientRecord | undefined> {
    const row = this.#s.getClient!.get(clientId);
    return row === undefined ? undefined : (JSON.parse(text(row.data)) as OidcClientRecord);
  }
  async listClients(): Promise<OidcClientRecord[]> {
    return this.#s.listClients!.all().map((row) => JSON.parse(text(row.data)) as OidcClientRecord);
  }
  async deleteClient(clientId: string): Promise<boolean> {
    return Number(this.#s.deleteClient!.run(clientId).changes) > 0;
  }

  async putKey(key: OidcSigningKey): Promise<void> {
    this.#s.putKey!.run(
      key.kid,
      JSON.stringify(key.privateJwk),
      key.createdAt.getTime(),
      key.supersededAt?.getTime() ?? null,
      key.retireAt?.getTime() ?? null,
    );
  }
  async listKeys(now: Date): Promise<OidcSigningKey[]> {
    return this.#s.listKeys!.all(now.getTime()).map(toKey);
  }

  async upsertPayload(r: OidcPayloadRecord): Promise<void> {
    this.#s.upsert!.run(
      r.kind,
      r.id,
      JSON.stringify(r.payload),
      r.grantId ?? null,
      r.accountId ?? null,
      r.uid ?? null,
      r.userCode ?? null,
      r.expiresAt.getTime(),
    );
  }
  async findPayload(kind: string, id: string, now: Date): Promise<Record<string, unknown> | undefined> {
    return payloadOf(this.#s.find!.get(kind, id, now.getTime()));
  }
  async findPayloadBy(kind: string, field: 'uid' | 'userCode', value: string, now: Date) {
    const statement = field === 'uid' ? this.#s.findByUid! : this.#s.findByUserCode!;
    return payloadOf(statement.get(kind, value, now.getTime()));
  }
  async listPayloadsByAccount(kind: string, accountId: string, now: Date) {
    return this.#s.byAccount!.all(kind, accountId, now.getTime()).map((row) => ({
      id: text(row.id),
      payload: JSON.parse(text(row.payload)) as Record<string, unknown>,
    }));
  }
  async consumePayload(kind: string, id: string, at: Date): Promise<void> {
    this.#s.consume!.run(Math.floor(at.getTime() / 1000), kind, id);
  }
  async destroyPayload(kind: string, id: string): Promise<void> {
    this.#s.destroy!.run(kind, id);
  }
  async revokeGrant(grantId: string): Promise<void> {
    this.#s.revoke!.run(grantId);
  }
  async purgeExpired(now: Date): Promise<number> {
    return Number(this.#s.purge!.run(now.getTime()).changes);
  }
}

function payloadOf(row: Record<string, SQLOutputValue> | undefined): Record<string, unknown> | undefined {
  return row === undefined ? undefined : (JSON.parse(text(row.payload)) as Record<string, unknown>);
}

function toKey(row: Record<string, SQLOutputValue>): OidcSigningKey {
  return {
    kid: text(row.kid),
    privateJwk: JSON.parse(text(row.jwk)) as Record<string, unknown>,
    createdAt: new Date(Number(row.created_at)),
    ...(row.superseded_at === null ? {} : { supersededAt: new Date(Number(row.superseded_at)) }),
    ...(row.retire_at === null ? {} : { retireAt: new Date(Number(row.retire_at)) }),
  };
}
