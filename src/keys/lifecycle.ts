/**
 * The SP key lifecycle, pure: which transitions are allowed, and which keys one connection uses.
 *
 * next -> active -> retired. Promoting a `next` key makes it the primary active key of its use and scope
 * (it signs; it is the first encryption key tried); the key it replaces stays `active` (published, and for
 * encryption still decrypting) until an admin retires it: that overlap is what lets assertions encrypted for
 * the old key in flight, and IdPs that refresh our metadata late, keep working. Retiring is the explicit
 * end of the overlap.
 *
 * Scope: a key is global, or belongs to one connection (a customer that requires its own certificate). A
 * connection uses its own keys of a use when it has any non-retired one, else the global ones; for
 * decryption it also keeps the global keys (they are ours too), so moving a customer to its own key never
 * breaks an assertion already encrypted for the global one.
 */
import type { SpKeyRecord, SpKeyState, SpKeyUse } from '../store/sp-keys.ts';

/** A refused transition: the code the admin surface answers with, and what to do instead. */
export class KeyLifecycleError extends Error {
  override readonly name = 'KeyLifecycleError';
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

/** The keys one connection uses, per use, as records (the ring turns them into signers and decrypters). */
export interface ConnectionKeys {
  signing: {
    /** Signs everything (the most recently activated active key in scope); undefined: fall back to files. */
    active: SpKeyRecord | undefined;
    /** Published in the metadata: every next and active key in scope. */
    published: SpKeyRecord[];
  };
  encryption: {
    active: SpKeyRecord | undefined;
    /** Published in the metadata: every non-retired key in scope. */
    published: SpKeyRecord[];
    /** Tried by the ACS: every non-retired key (own scope first, then global), primary first. */
    decryption: SpKeyRecord[];
    /** Retired keys in scope: an assertion that names one is refused by name. */
    retired: SpKeyRecord[];
  };
  /** Every record that made this choice, for a cache version. */
  version: string;
}

/**
 * Chooses the keys of one connection from the ring.
 *
 * @example
 * ```ts
 * const keys = keysForConnection(await store.list(), 'acme');
 * keys.signing.active?.id; // 'k-2026'
 * ```
 */
export function keysForConnection(records: readonly SpKeyRecord[], connectionId: string): ConnectionKeys {
  const signing = scoped(records, 'signing', connectionId);
  const encryption = scoped(records, 'encryption', connectionId);
  const globalEncryption = records.filter(
    (r) => r.use === 'encryption' && r.connectionId === undefined && r.state !== 'retired',
  );
  const decryption = [...byPrimary(live(encryption))];
  for (const r of byPrimary(globalEncryption)) if (!decryption.includes(r)) decryption.push(r);
  return {
    signing: { active: primary(signing), published: byPrimary(live(signing)) },
    encryption: {
      active: primary(encryption),
      // Primary first: IdPs that read only the first encryption certificate encrypt for the current key.
      published: byPrimary(live(encryption)),
      decryption,
      retired: encryption.filter((r) => r.state === 'retired'),
    },
    version: [...signing, ...encryption, ...globalEncryption]
      .map((r) => `${r.id}:${r.state}:${r.activatedAt?.getTime() ?? ''}`)
      .join(','),
  };
}

/**
 * The record after promoting `next` -> `active`. Refuses any other state.
 *
 * @example
 * ```ts
 * await store.put(promoted(record, now));
 * ```
 */
export function promoted(record: SpKeyRecord, now: Date): SpKeyRecord {
  if (record.state !== 'next') {
    throw new KeyLifecycleError(
      `Key ${record.id} is ${record.state}; only a next key can be promoted.`,
      record.state === 'active'
        ? 'It is already active. Retire the key it replaced once every IdP uses the new certificate.'
        : 'A retired key stays retired. Generate a new key (it starts as next) instead.',
    );
  }
  return { ...record, state: 'active', activatedAt: now };
}

/**
 * The record after retiring an `active` or `next` key. Refuses to retire the primary active key while no
 * other key could take over (nothing would sign, or decrypt, for that scope).
 *
 * @example
 * ```ts
 * await store.put(retired(record, await store.list(), now));
 * ```
 */
export function retired(record: SpKeyRecord, all: readonly SpKeyRecord[], now: Date): SpKeyRecord {
  if (record.state === 'retired') {
    throw new KeyLifecycleError(`Key ${record.id} is already retired.`, 'Nothing to do.');
  }
  const sameScope = all.filter(
    (r) => r.use === record.use && r.connectionId === record.connectionId && r.id !== record.id,
  );
  const othersActive = sameScope.some((r) => r.state === 'active');
  // A connection's last own key may go: the connection then falls back to the global keys.
  if (record.state === 'active' && !othersActive && record.connectionId === undefined) {
    throw new KeyLifecycleError(
      `Key ${record.id} is the only active global ${record.use} key.`,
      `Generate a new ${record.use} key, give the IdPs its certificate, promote it, then retire this one.`,
    );
  }
  return { ...record, state: 'retired', retiredAt: now };
}

/** Is a state one of the three? For input validation at the edges. */
export function isKeyState(value: unknown): value is SpKeyState {
  return value === 'next' || value === 'active' || value === 'retired';
}

/** The keys of one use for a connection: its own when it has a non-retired one, else the global ones. */
function scoped(records: readonly SpKeyRecord[], use: SpKeyUse, connectionId: string): SpKeyRecord[] {
  const own = records.filter((r) => r.use === use && r.connectionId === connectionId);
  if (own.some((r) => r.state !== 'retired')) {
    // Until the connection's own key is active, the global active key still signs and is published.
    if (own.some((r) => r.state === 'active')) return own;
    const globalActive = records.filter(
      (r) => r.use === use && r.connectionId === undefined && r.state === 'active',
    );
    return [...own, ...globalActive];
  }
  return [...own, ...records.filter((r) => r.use === use && r.connectionId === undefined)];
}

function live(records: readonly SpKeyRecord[]): SpKeyRecord[] {
  return records.filter((r) => r.state !== 'retired');
}

function primary(records: readonly SpKeyRecord[]): SpKeyRecord | undefined {
  return byPrimary(records.filter((r) => r.state === 'active'))[0];
}

/** Active keys first, the most recently activated first; then next keys, newest first. */
function byPrimary(records: readonly SpKeyRecord[]): SpKeyRecord[] {
  const rank = (r: SpKeyRecord) => (r.state === 'active' ? 0 : 1);
  const time = (r: SpKeyRecord) => (r.activatedAt ?? r.createdAt).getTime();
  return [...records].sort((a, b) => rank(a) - rank(b) || time(b) - time(a));
}
