/**
 * The SP key ring's storage port: key records (certificate, state and dates, and where the private key is,
 * never the private key itself) and the last metadata fetch per connection (for the rollover lint).
 */

/** What a key is for. */
export type SpKeyUse = 'signing' | 'encryption';

/**
 * A key's place in its rollover: `next` is published in the metadata but not used yet, `active` is used
 * (the most recently activated active key signs; every active and next encryption key decrypts), `retired`
 * is neither published nor used.
 */
export type SpKeyState = 'next' | 'active' | 'retired';

export const SP_KEY_STATES: readonly SpKeyState[] = ['next', 'active', 'retired'];

/** One key of the ring. */
export interface SpKeyRecord {
  id: string;
  use: SpKeyUse;
  state: SpKeyState;
  /** The connection this key belongs to (a customer that requires its own certificate); absent: global. */
  connectionId?: string;
  certificatePem: string;
  /**
   * Where the private key is: `file:/abs/path/key.pem` (a PEM file, mode 0600), or a reference a registered
   * key resolver understands (`kms:…`, `vault:…`, `http://127.0.0.1:…`). The private key is never stored here:
   * database backups and replicas are copied far more widely than a key file or a KMS.
   */
  keyRef: string;
  createdAt: Date;
  activatedAt?: Date;
  retiredAt?: Date;
}

/** The last GET of a connection's SP metadata: who asked is unauthenticated, so it is shown, not trusted. */
export interface MetadataFetchRecord {
  at: Date;
  /** The client address and User-Agent, clipped. */
  by: string;
}

/** Key records and metadata fetches; one adapter per backend (memory, SQLite, PostgreSQL). */
export interface SpKeyStore {
  /** Every key, oldest first. */
  list(): Promise<SpKeyRecord[]>;
  get(id: string): Promise<SpKeyRecord | undefined>;
  /** Inserts or replaces the record with this id. */
  put(record: SpKeyRecord): Promise<void>;
  recordMetadataFetch(connectionId: string, fetch: MetadataFetchRecord): Promise<void>;
  lastMetadataFetch(connectionId: string): Promise<MetadataFetchRecord | undefined>;
  /**
   * An opaque value that changes whenever any key record changes (on any instance): the key ring keeps the
   * keys it resolved for a connection while it is unchanged, instead of reading and resolving every record at
   * each login and ACS. Optional: without it the ring reads `list()` each time.
   */
  version?(): Promise<string>;
}

/** Clips the `by` text of a fetch record: it comes from an anonymous request. */
export function clipFetchBy(by: string): string {
  return by.slice(0, 300);
}
