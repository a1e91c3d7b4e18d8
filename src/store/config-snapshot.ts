/**
 * One view of the configuration per request. The sign-in path asks at every request whether the connection,
 * its organization and the SP keys changed (src/sp/connection-cache.ts, the key ring): on SQLite each question
 * is a read of a change counter (migration 15), and each read of the file costs its locks. Inside
 * {@link withConfigSnapshot}, an adapter may answer every such question of the request from one read.
 *
 * Why that is never stale: the snapshot is taken at the request's first question, after the request began.
 * An admin edit committed before the request began is in it (the counters are bumped inside the edit's own
 * transaction, on every instance sharing the file); an edit committed later is concurrent with the request,
 * which may see either version, as it could have had it read the counters first. A write of this process
 * (any store on any connection) drops the snapshot, so a request that edits and reads again sees its edit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Per request: what each adapter read (keyed by the adapter's own object), and the local writes then. */
interface Scope {
  readonly held: Map<object, { localWrites: number; value: unknown }>;
}

const scopes = new AsyncLocalStorage<Scope>();
/** Configuration writes made by this process (counted by the adapters that keep snapshots). */
let localWrites = 0;

/**
 * Runs `work` (one request of the sign-in path) with one configuration snapshot.
 *
 * @example
 * ```ts
 * const result = await withConfigSnapshot(() => this.#acs(connectionId, input));
 * ```
 */
export function withConfigSnapshot<T>(work: () => Promise<T>): Promise<T> {
  // Nested (a step of the request that also takes one): the same request, the same view.
  if (scopes.getStore()) return work();
  return scopes.run({ held: new Map() }, work);
}

/**
 * The value `owner` read earlier in this request, or a new one from `read` (kept for the rest of the request).
 * Outside {@link withConfigSnapshot}, or after a configuration write of this process, `read` runs each time.
 */
export function snapshotOf<T>(owner: object, read: () => T): T {
  const scope = scopes.getStore();
  const held = scope?.held.get(owner);
  if (held && held.localWrites === localWrites) return held.value as T;
  const value = read();
  scope?.held.set(owner, { localWrites, value });
  return value;
}

/**
 * Offers `owner`'s value read by a statement the request made anyway (SQLite: the session read of `/me` carries
 * the change counters), so that its first question later in the request needs no read of its own. Ignored
 * outside {@link withConfigSnapshot}, and when the request already holds a current value.
 */
export function primeSnapshot(owner: object, value: unknown): void {
  const scope = scopes.getStore();
  const held = scope?.held.get(owner);
  if (scope && (!held || held.localWrites !== localWrites)) scope.held.set(owner, { localWrites, value });
}

/**
 * Called by an adapter after it wrote what snapshots cover (connections, organizations, SP keys, the SCIM
 * directory).
 */
export function noteConfigWrite(): void {
  localWrites++;
}
