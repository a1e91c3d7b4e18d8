/**
 * Outstanding AuthnRequest IDs, in process memory. Anyone can start a login, so the store is capped (see
 * {@link ExpiringMap}): under a flood the oldest pending requests are evicted, and those users see
 * SAML_IN_RESPONSE_TO_UNKNOWN and start again, while memory stays bounded.
 */
import type { PendingRequest, RequestIdStore } from '../types.ts';
import { ExpiringMap } from './expiring-map.ts';

export interface MemoryCacheOptions {
  /** Hard cap on entries (default 100,000). Expired entries are evicted first, then the oldest. */
  maxEntries?: number;
}

/**
 * An in-process {@link RequestIdStore}. `consume` is atomic because the process runs it synchronously.
 *
 * @example
 * ```ts
 * const requests = new MemoryRequestIdStore({ maxEntries: 10_000 });
 * await requests.save(pending);
 * const hit = await requests.consume(pending.requestId, new Date());
 * ```
 */
export class MemoryRequestIdStore implements RequestIdStore {
  readonly #requests: ExpiringMap<PendingRequest>;
  /** browserKey -> request IDs, so listForBrowser does not scan the whole map. */
  readonly #byBrowser = new Map<string, Set<string>>();

  constructor(options: MemoryCacheOptions = {}) {
    this.#requests = new ExpiringMap<PendingRequest>({
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      onRemove: (id, request) => this.#unindex(id, request.browserKey),
    });
  }

  /** Entries held, expired ones included until swept (for metrics and tests). */
  get size(): number {
    return this.#requests.size;
  }

  async save(request: PendingRequest): Promise<void> {
    // The clone's strings are flat copies: the caller's may be slices of a larger string (the browser key is
    // cut from the Cookie header, which a client can pad to many kilobytes) and would keep it alive. Index and
    // key by the copies only, so one entry costs its own fields and no more.
    const copy = structuredClone(request);
    // Expiry is judged against the request's own creation time: the caller gives no `now` here.
    this.#requests.set(copy.requestId, copy, copy.expiresAt, copy.createdAt);
    let ids = this.#byBrowser.get(copy.browserKey);
    if (ids === undefined) {
      ids = new Set();
      this.#byBrowser.set(copy.browserKey, ids);
    }
    ids.add(copy.requestId);
  }

  async peek(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const request = this.#requests.get(requestId, now);
    return request === undefined ? undefined : structuredClone(request);
  }

  async listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]> {
    const ids = [...(this.#byBrowser.get(browserKey) ?? [])];
    const found: PendingRequest[] = [];
    for (const id of ids) {
      const request = this.#requests.get(id, now);
      if (request !== undefined && request.connectionId === connectionId)
        found.push(structuredClone(request));
    }
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async consume(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    return this.#requests.take(requestId, now);
  }

  #unindex(requestId: string, browserKey: string): void {
    const ids = this.#byBrowser.get(browserKey);
    if (ids === undefined) return;
    ids.delete(requestId);
    if (ids.size === 0) this.#byBrowser.delete(browserKey);
  }
}
