/** The OpenID bridge's records in process memory (one instance, lost on restart): tests and `npm start`. */
import type { OidcClientRecord, OidcPayloadRecord, OidcSigningKey, OidcStore } from '../oidc.ts';

export class MemoryOidcStore implements OidcStore {
  readonly #clients = new Map<string, OidcClientRecord>();
  readonly #keys = new Map<string, OidcSigningKey>();
  readonly #payloads = new Map<string, OidcPayloadRecord>();

  async putClient(client: OidcClientRecord): Promise<void> {
    this.#clients.set(client.clientId, structuredClone(client));
  }
  async getClient(clientId: string): Promise<OidcClientRecord | undefined> {
    const client = this.#clients.get(clientId);
    return client && structuredClone(client);
  }
  async listClients(): Promise<OidcClientRecord[]> {
    return [...this.#clients.values()]
      .map((c) => structuredClone(c))
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
  }
  async deleteClient(clientId: string): Promise<boolean> {
    return this.#clients.delete(clientId);
  }

  async putKey(key: OidcSigningKey): Promise<void> {
    this.#keys.set(key.kid, structuredClone(key));
  }
  async listKeys(now: Date): Promise<OidcSigningKey[]> {
    return [...this.#keys.values()]
      .filter((k) => !k.retireAt || k.retireAt.getTime() > now.getTime())
      .map((k) => structuredClone(k))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async upsertPayload(record: OidcPayloadRecord): Promise<void> {
    this.#payloads.set(`${record.kind}:${record.id}`, structuredClone(record));
  }
  async findPayload(kind: string, id: string, now: Date): Promise<Record<string, unknown> | undefined> {
    return live(this.#payloads.get(`${kind}:${id}`), now);
  }
  async findPayloadBy(
    kind: string,
    field: 'uid' | 'userCode',
    value: string,
    now: Date,
  ): Promise<Record<string, unknown> | undefined> {
    for (const record of this.#payloads.values()) {
      if (record.kind === kind && record[field] === value) return live(record, now);
    }
    return undefined;
  }
  async listPayloadsByAccount(kind: string, accountId: string, now: Date) {
    return [...this.#payloads.values()]
      .filter((r) => r.kind === kind && r.accountId === accountId && r.expiresAt.getTime() > now.getTime())
      .map((r) => ({ id: r.id, payload: structuredClone(r.payload) }));
  }
  async consumePayload(kind: string, id: string, at: Date): Promise<void> {
    const record = this.#payloads.get(`${kind}:${id}`);
    if (record) record.payload.consumed = Math.floor(at.getTime() / 1000);
  }
  async destroyPayload(kind: string, id: string): Promise<void> {
    this.#payloads.delete(`${kind}:${id}`);
  }
  async revokeGrant(grantId: string): Promise<void> {
    for (const [key, record] of this.#payloads) if (record.grantId === grantId) this.#payloads.delete(key);
  }
  async purgeExpired(now: Date): Promise<number> {
    let removed = 0;
    for (const [key, record] of this.#payloads) {
      if (record.expiresAt.getTime() <= now.getTime()) {
        this.#payloads.delete(key);
        removed++;
      }
    }
    return removed;
  }
}

function live(record: OidcPayloadRecord | undefined, now: Date): Record<string, unknown> | undefined {
  if (!record || record.expiresAt.getTime() <= now.getTime()) return undefined;
  return structuredClone(record.payload);
}
