/**
 * Outstanding AuthnRequest IDs, in process memory. Anyone can start a login, so the store is capped (see
 * {@link ExpiringMap}): under a flood the oldest pending requests are evicted, and those users see
 * SAML_IN_RESPONSE_TO_UNKNOWN and start again, while memory stays bounded. (The ServiceProvider also caps
 * each browser's outstanding requests, so one browser looping on /login only evicts its own.)
 *
 * One entry costs about 500 bytes of heap (`npm run bench:memory` prints the measured figure): its own
 * strings, copied flat (a browser key cut from a padded Cookie header would otherwise keep the header alive),
 * times as numbers rather than Date objects, and a browser index that holds a bare ID for the usual browser
 * with one request instead of a Set.
 */
import type { PendingRequest, RequestAuthn, RequestIdStore } from '../types.ts';
import { ExpiringMap } from './expiring-map.ts';

export interface MemoryCacheOptions {
  /** Hard cap on entries (default 100,000). Expired entries are evicted first, then the oldest. */
  maxEntries?: number;
}

/** A pending request as kept: flat string copies, epoch milliseconds. */
interface StoredRequest {
  requestId: string;
  connectionId: string;
  browserKey: string;
  returnTo: string;
  createdAt: number;
  expiresAt: number;
  testRun?: string;
  authn?: RequestAuthn;
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
  readonly #requests: ExpiringMap<StoredRequest>;
  /** browserKey -> its request ID, or IDs once it has several, so listForBrowser does not scan the map. */
  readonly #byBrowser = new Map<string, string | Set<string>>();

  constructor(options: MemoryCacheOptions = {}) {
    this.#requests = new ExpiringMap<StoredRequest>({
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      onRemove: (id, request) => this.#unindex(id, request.browserKey),
    });
  }

  /** Entries held, expired ones included until swept (for metrics and tests). */
  get size(): number {
    return this.#requests.size;
  }

  async save(request: PendingRequest): Promise<void> {
    // Every string copied flat: nothing the caller's strings were cut from stays alive.
    const stored: StoredRequest = {
      requestId: detached(request.requestId),
      connectionId: detached(request.connectionId),
      browserKey: detached(request.browserKey),
      returnTo: detached(request.returnTo),
      createdAt: request.createdAt.getTime(),
      expiresAt: request.expiresAt.getTime(),
    };
    // Absent on ordinary requests, so they cost no extra bytes.
    if (request.testRun !== undefined) stored.testRun = detached(request.testRun);
    if (request.authn) stored.authn = copyAuthn(request.authn);
    // Expiry is judged against the request's own creation time: the caller gives no `now` here.
    this.#requests.set(stored.requestId, stored, request.expiresAt, request.createdAt);
    const ids = this.#byBrowser.get(stored.browserKey);
    if (ids === undefined) this.#byBrowser.set(stored.browserKey, stored.requestId);
    else if (typeof ids === 'string')
      this.#byBrowser.set(stored.browserKey, new Set([ids, stored.requestId]));
    else ids.add(stored.requestId);
  }

  async peek(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const request = this.#requests.get(requestId, now);
    return request === undefined ? undefined : toPending(request);
  }

  async listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]> {
    const ids = this.#byBrowser.get(browserKey);
    const found: PendingRequest[] = [];
    for (const id of typeof ids === 'string' ? [ids] : [...(ids ?? [])]) {
      const request = this.#requests.get(id, now);
      if (request !== undefined && request.connectionId === connectionId) found.push(toPending(request));
    }
    return found.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async consume(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const request = this.#requests.take(requestId, now);
    return request === undefined ? undefined : toPending(request);
  }

  #unindex(requestId: string, browserKey: string): void {
    const ids = this.#byBrowser.get(browserKey);
    if (ids === undefined) return;
    if (typeof ids === 'string') {
      if (ids === requestId) this.#byBrowser.delete(browserKey);
      return;
    }
    ids.delete(requestId);
    if (ids.size === 0) this.#byBrowser.delete(browserKey);
  }
}

function toPending(request: StoredRequest): PendingRequest {
  return {
    requestId: request.requestId,
    connectionId: request.connectionId,
    browserKey: request.browserKey,
    returnTo: request.returnTo,
    ...(request.authn ? { authn: { ...request.authn } } : {}),
    createdAt: new Date(request.createdAt),
    expiresAt: new Date(request.expiresAt),
    ...(request.testRun !== undefined ? { testRun: request.testRun } : {}),
  };
}

/**
 * A copy of `text` that shares no memory with a string it may have been cut from: V8 keeps a slice (the browser
 * key out of the Cookie header, the returnTo out of the URL) as a view that holds its whole parent alive. A
 * JSON round trip makes a new string; it costs about a third of the structuredClone of the whole record it
 * replaced, which was 1% of a sign-in's server CPU (issue #16).
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** The request's step-up demands, field by field (numbers and booleans: nothing to detach). */
function copyAuthn(authn: RequestAuthn): RequestAuthn {
  const copy: RequestAuthn = {};
  if (authn.forceAuthn !== undefined) copy.forceAuthn = authn.forceAuthn;
  if (authn.maxAgeSeconds !== undefined) copy.maxAgeSeconds = authn.maxAgeSeconds;
  return copy;
}
