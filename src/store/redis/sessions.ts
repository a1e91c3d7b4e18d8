/**
 * Sessions in Redis, shared by every instance. Each session is a hash with a TTL. A sorted set per
 * (connection, NameID value) lists its session IDs for IdP-initiated logout, and one sorted set by expiry
 * serves `purgeExpired`; members whose hash is gone are removed lazily when read.
 */
import type { NameId } from '../../core/types.ts';
import { decodeSessionAuthn, encodeSessionAuthn } from '../authn-columns.ts';
import type { SessionRecord, SessionStore } from '../types.ts';
import type { RedisKeys, RedisStoreClient } from './client.ts';

/** How many expired sessions `purgeExpired` removes per round trip. */
const PURGE_BATCH = 500;

/**
 * A Redis {@link SessionStore}. `sessionIndexes` undefined or empty matches every live session of the NameID
 * (a LogoutRequest without `<SessionIndex>` ends them all), as in every adapter.
 *
 * @example
 * ```ts
 * const sessions = new RedisSessionStore(client, new RedisKeys('saml-sp:'));
 * await sessions.findByNameId('acme', 'alice@example.com', undefined, new Date());
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisStoreClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async create(session: SessionRecord): Promise<void> {
    // As with request IDs, the record's own creation time stands for `now`.
    const ttl = session.expiresAt.getTime() - session.createdAt.getTime();
    if (ttl <= 0) {
      await this.delete(session.id);
      return;
    }
    const fields = [
      'userId',
      session.userId,
      'connectionId',
      session.connectionId,
      'nameIdValue',
      session.nameId.value,
      'nameId',
      JSON.stringify(session.nameId),
      'createdAt',
      String(session.createdAt.getTime()),
      'expiresAt',
      String(session.expiresAt.getTime()),
      ...(session.sessionIndex === undefined ? [] : ['sessionIndex', session.sessionIndex]),
      ...(session.authn === undefined ? [] : ['authn', encodeSessionAuthn(session.authn) ?? '']),
    ];
    await this.#client.createSession(
      [
        this.#keys.session(session.id),
        this.#keys.sessionsOfNameId(session.connectionId, session.nameId.value),
        this.#keys.sessionsByExpiry(),
      ],
      session.id,
      ttl,
      session.createdAt.getTime(),
      session.expiresAt.getTime(),
      fields,
    );
  }

  async get(id: string, now: Date): Promise<SessionRecord | undefined> {
    const session = toRecord(id, await this.#client.hGetAll(this.#keys.session(id)));
    return session === undefined || isExpired(session, now) ? undefined : session;
  }

  async delete(id: string): Promise<boolean> {
    const key = this.#keys.session(id);
    const [connectionId, nameIdValue] = await this.#client.hmGet(key, ['connectionId', 'nameIdValue']);
    const multi = this.#client.multi().del(key).zRem(this.#keys.sessionsByExpiry(), id);
    if (typeof connectionId === 'string' && typeof nameIdValue === 'string') {
      multi.zRem(this.#keys.sessionsOfNameId(connectionId, nameIdValue), id);
    }
    const [deleted] = await multi.exec();
    return Number(deleted) === 1;
  }

  async findByNameId(
    connectionId: string,
    nameIdValue: string,
    sessionIndexes: string[] | undefined,
    now: Date,
  ): Promise<SessionRecord[]> {
    const index = this.#keys.sessionsOfNameId(connectionId, nameIdValue);
    const ids = await this.#client.zRange(index, 0, -1);
    if (ids.length === 0) return [];
    const hashes = await Promise.all(ids.map((id) => this.#client.hGetAll(this.#keys.session(id))));
    const wanted =
      sessionIndexes === undefined || sessionIndexes.length === 0 ? undefined : new Set(sessionIndexes);
    const found: SessionRecord[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const session = toRecord(id, hashes[i] ?? {});
      // Gone (deleted, expired by Redis) or re-created under another NameID: drop it from this index.
      if (
        session === undefined ||
        session.connectionId !== connectionId ||
        session.nameId.value !== nameIdValue
      ) {
        stale.push(id);
        return;
      }
      if (isExpired(session, now)) return;
      if (wanted !== undefined && (session.sessionIndex === undefined || !wanted.has(session.sessionIndex)))
        return;
      found.push(session);
    });
    if (stale.length > 0) await this.#client.zRem(index, stale);
    // The index is ordered by creation time already; sort again to break ties the same way every time.
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compare(a.id, b.id));
  }

  async purgeExpired(now: Date): Promise<number> {
    const byExpiry = this.#keys.sessionsByExpiry();
    let removed = 0;
    for (;;) {
      const ids = await this.#client.zRangeByScore(byExpiry, '-inf', now.getTime(), {
        LIMIT: { offset: 0, count: PURGE_BATCH },
      });
      if (ids.length === 0) return removed;
      const owners = await Promise.all(
        ids.map((id) => this.#client.hmGet(this.#keys.session(id), ['connectionId', 'nameIdValue'])),
      );
      const multi = this.#client.multi();
      const deletes: number[] = []; // where each DEL's reply sits among the transaction's replies
      let queued = 0;
      ids.forEach((id, i) => {
        multi.del(this.#keys.session(id));
        deletes.push(queued++);
        const [connectionId, nameIdValue] = owners[i] ?? [];
        if (typeof connectionId === 'string' && typeof nameIdValue === 'string') {
          multi.zRem(this.#keys.sessionsOfNameId(connectionId, nameIdValue), id);
          queued++;
        }
      });
      multi.zRem(byExpiry, ids);
      const replies = await multi.exec();
      // Count the hashes this call deleted: ones Redis had already expired were not removed by us.
      removed += deletes.filter((at) => Number(replies[at]) === 1).length;
    }
  }
}

function toRecord(id: string, hash: Record<string, string>): SessionRecord | undefined {
  const { userId, connectionId, nameId, createdAt, expiresAt, sessionIndex, authn } = hash;
  if (
    userId === undefined ||
    connectionId === undefined ||
    nameId === undefined ||
    createdAt === undefined ||
    expiresAt === undefined
  )
    return undefined;
  return {
    id,
    userId,
    connectionId,
    nameId: JSON.parse(nameId) as NameId,
    ...(sessionIndex === undefined ? {} : { sessionIndex }),
    ...decodeSessionAuthn(authn),
    createdAt: new Date(Number(createdAt)),
    expiresAt: new Date(Number(expiresAt)),
  };
}

function isExpired(session: SessionRecord, now: Date): boolean {
  return now.getTime() >= session.expiresAt.getTime();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
