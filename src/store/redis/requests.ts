/**
 * Pending AuthnRequest IDs in Redis, shared by every instance: a login may start on one and finish on
 * another. Each request is one string key with a TTL; a per-browser sorted set (with its own TTL) lists the
 * IDs a browser started, and members whose request is gone are removed lazily when read.
 */
import { decodeRequestAuthn, encodeRequestAuthn } from '../authn-columns.ts';
import type { PendingRequest, RequestIdStore } from '../types.ts';
import type { RedisKeys, RedisStoreClient } from './client.ts';

/** How many pending requests one browser key may have listed at once; the oldest go first. */
export const DEFAULT_MAX_REQUESTS_PER_BROWSER = 100;

interface StoredRequest {
  requestId: string;
  connectionId: string;
  browserKey: string;
  returnTo: string;
  createdAt: number;
  expiresAt: number;
  /** Step-up demands (authn-columns.ts); null or absent for an ordinary sign-in. */
  authn?: string | null;
  testRun?: string;
}

export interface RedisRequestIdStoreOptions {
  /** Cap on the per-browser index (default {@link DEFAULT_MAX_REQUESTS_PER_BROWSER}). */
  maxRequestsPerBrowser?: number;
}

/**
 * A Redis {@link RequestIdStore}. `consume` is one `GETDEL`, so of two instances racing for one response only
 * one receives the request.
 *
 * @example
 * ```ts
 * const requests = new RedisRequestIdStore(client, new RedisKeys('saml-sp:'));
 * const pending = await requests.consume(inResponseTo, new Date());
 * ```
 */
export class RedisRequestIdStore implements RequestIdStore {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;
  readonly #cap: number;

  constructor(client: RedisStoreClient, keys: RedisKeys, options: RedisRequestIdStoreOptions = {}) {
    this.#client = client;
    this.#keys = keys;
    this.#cap = options.maxRequestsPerBrowser ?? DEFAULT_MAX_REQUESTS_PER_BROWSER;
  }

  async save(request: PendingRequest): Promise<void> {
    // Expiry is judged against the request's own creation time: the caller gives no `now` here.
    const ttl = request.expiresAt.getTime() - request.createdAt.getTime();
    if (ttl <= 0) {
      await this.#client.del(this.#keys.request(request.requestId));
      return;
    }
    const stored: StoredRequest = {
      requestId: request.requestId,
      connectionId: request.connectionId,
      browserKey: request.browserKey,
      returnTo: request.returnTo,
      createdAt: request.createdAt.getTime(),
      expiresAt: request.expiresAt.getTime(),
      authn: encodeRequestAuthn(request.authn),
      ...(request.testRun !== undefined ? { testRun: request.testRun } : {}),
    };
    await this.#client.saveRequest(
      this.#keys.request(request.requestId),
      this.#keys.requestsOfBrowser(request.browserKey),
      JSON.stringify(stored),
      ttl,
      request.requestId,
      stored.createdAt,
      this.#cap,
    );
  }

  async peek(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const request = parse(await this.#client.get(this.#keys.request(requestId)));
    return request === undefined || isExpired(request, now) ? undefined : request;
  }

  async listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]> {
    const index = this.#keys.requestsOfBrowser(browserKey);
    const ids = await this.#client.zRange(index, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.#client.mGet(ids.map((id) => this.#keys.request(id)));
    const found: PendingRequest[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const request = parse(values[i] ?? null);
      // Gone (consumed, expired by Redis) or re-saved under another browser: drop it from this index.
      if (request === undefined || request.browserKey !== browserKey) stale.push(id);
      else if (request.connectionId === connectionId && !isExpired(request, now)) found.push(request);
    });
    if (stale.length > 0) await this.#client.zRem(index, stale);
    return found.sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compare(a.requestId, b.requestId),
    );
  }

  async consume(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const request = parse(await this.#client.getDel(this.#keys.request(requestId)));
    if (request === undefined) return undefined;
    await this.#client.zRem(this.#keys.requestsOfBrowser(request.browserKey), requestId);
    // An expired request is dead either way; it was deleted above all the same.
    return isExpired(request, now) ? undefined : request;
  }
}

function parse(value: string | null): PendingRequest | undefined {
  if (value === null) return undefined;
  const stored = JSON.parse(value) as StoredRequest;
  return {
    requestId: stored.requestId,
    connectionId: stored.connectionId,
    browserKey: stored.browserKey,
    returnTo: stored.returnTo,
    ...decodeRequestAuthn(stored.authn),
    createdAt: new Date(stored.createdAt),
    expiresAt: new Date(stored.expiresAt),
    ...(stored.testRun !== undefined ? { testRun: stored.testRun } : {}),
  };
}

function isExpired(request: PendingRequest, now: Date): boolean {
  return now.getTime() >= request.expiresAt.getTime();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
