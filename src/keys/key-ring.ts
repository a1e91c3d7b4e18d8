/**
 * The SP key ring as a service: list, generate, register, promote and retire keys (admin API, page, CLI),
 * and, for the ServiceProvider, the keys one connection signs, publishes and decrypts with.
 *
 * The key files under certs/ (SP_KEY_FILE, ...) are adopted as the ring's first keys, `file-signing` and
 * `file-encryption`, active from their certificate's notBefore: an existing deployment keeps signing with
 * exactly the keys it had, and its first rollover starts from them.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditRecorder } from '../audit/index.ts';
import type { SpKey } from '../core/crypto/signer.ts';
import { generateKeyPair, normalizeCertificatePem } from '../core/keys.ts';
import type { LintWarning } from '../core/metadata/lint.ts';
import type { KeyPair, SpIdentity } from '../core/types.ts';
import { AdminError } from '../sp/admin-errors.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import type { SpKeyRecord, SpKeyStore, SpKeyUse } from '../store/sp-keys.ts';
import { fileKeyResolver, type KeyOperations, type KeyResolver, schemeOf } from './key-refs.ts';
import { type ConnectionKeys, KeyLifecycleError, keysForConnection, promoted, retired } from './lifecycle.ts';
import { lintKeys } from './lint.ts';

/** A key as the admin surface shows it: the record with its certificate facts, never a private key. */
export interface SpKeyView {
  id: string;
  use: SpKeyUse;
  state: SpKeyRecord['state'];
  connectionId: string | null;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  /** The scheme of the private key's reference (`file:`, `vault:`, …); the reference itself stays server-side. */
  keyStorage: string;
  certificatePem: string;
}

/** The keys of one connection, ready for the core (SpIdentity's key fields). */
export type ConnectionSpKeys = Pick<SpIdentity, 'signing' | 'encryption' | 'published' | 'decryption'> & {
  /** Changes whenever a key of this connection changes state: the metadata cache's version. */
  version: string;
};

export interface KeyRingOptions {
  store: SpKeyStore;
  /** Where `generate` writes new PEM files (mode 0600). */
  keysDir: string;
  /** Resolvers of non-file key references, by scheme with its colon: `{ 'vault:': … }`. */
  resolvers?: Record<string, KeyResolver>;
  /** The subject CN of generated certificates. */
  commonName?: string;
  /** Validity of generated certificates, in days. Default 730: a rollover every two years at the latest. */
  certificateDays?: number;
  now?: () => Date;
  /** Records each change in the audit log (`sp_key.generated|added|promoted|retired`, target `sp-key`). */
  audit?: AuditRecorder;
  /** Told about each change (events, logs), with who asked. */
  onChange?: (
    change: { action: 'generate' | 'add' | 'promote' | 'retire'; key: SpKeyView },
    context: ChangeContext,
  ) => void;
}

const AUDIT_VERBS = { generate: 'generated', add: 'added', promote: 'promoted', retire: 'retired' } as const;

/** At most one metadata-fetch write per connection per this many ms: the metadata URL is public. */
const FETCH_RECORD_INTERVAL_MS = 60_000;

export class KeyRing {
  readonly #store: SpKeyStore;
  readonly #keysDir: string;
  readonly #resolvers: Record<string, KeyResolver>;
  readonly #commonName: string;
  readonly #days: number;
  readonly #now: () => Date;
  readonly #onChange: KeyRingOptions['onChange'];
  readonly #audit: AuditRecorder | undefined;
  readonly #operations = new Map<string, Promise<KeyOperations>>();
  readonly #lastFetchWrite = new Map<string, number>();
  /** keysFor's answers per connection, with the store version they were read at. */
  readonly #keysCache = new Map<string, { version: string; keys: ConnectionSpKeys | undefined }>();
  /** When this instance last changed a key: a fetch after that is always recorded (the lint compares). */
  #keysChangedAt = 0;

  constructor(options: KeyRingOptions) {
    this.#store = options.store;
    this.#keysDir = options.keysDir;
    this.#resolvers = { 'file:': fileKeyResolver, ...options.resolvers };
    this.#commonName = options.commonName ?? 'saml-sp-kit SP';
    this.#days = options.certificateDays ?? 730;
    this.#now = options.now ?? (() => new Date());
    this.#onChange = options.onChange;
    this.#audit = options.audit;
  }

  /**
   * Adopts the key files as `file-signing` and `file-encryption` (active since their notBefore), unless the
   * ring already holds them. A retired adopted key stays retired; a replaced file updates its record.
   */
  async adoptFileKeys(files: Record<SpKeyUse, { pair: KeyPair; keyFile: string }>): Promise<void> {
    for (const use of ['signing', 'encryption'] as const) {
      const { pair, keyFile } = files[use];
      const id = `file-${use}`;
      const existing = await this.#store.get(id);
      const certificatePem = normalizeCertificatePem(pair.certificatePem);
      const keyRef = `file:${path.resolve(keyFile)}`;
      if (existing && (existing.state === 'retired' || existing.certificatePem === certificatePem)) continue;
      const notBefore = new X509Certificate(certificatePem).validFromDate;
      await this.#store.put({
        id,
        use,
        state: existing?.state ?? 'active',
        certificatePem,
        keyRef,
        createdAt: existing?.createdAt ?? notBefore,
        ...(existing?.state === 'next' ? {} : { activatedAt: existing?.activatedAt ?? notBefore }),
      });
    }
  }

  /** Every key, oldest first, optionally of one connection (`null`: the global ones). */
  async list(filter: { connectionId?: string | null } = {}): Promise<SpKeyView[]> {
    const all = await this.#store.list();
    const chosen =
      filter.connectionId === undefined
        ? all
        : all.filter((r) => (r.connectionId ?? null) === filter.connectionId);
    return chosen.map(viewOf);
  }

  /** One key, or KEY_NOT_FOUND (404). */
  async get(id: string): Promise<SpKeyView> {
    return viewOf(await this.#record(id));
  }

  /**
   * Generates a key pair into `keysDir` and adds it as `next`: published in the metadata, not used yet.
   *
   * @example
   * ```ts
   * const key = await ring.generate({ use: 'signing' }, { actor: { kind: 'cli', name: 'cli' } });
   * ```
   */
  async generate(
    input: { use: SpKeyUse; connectionId?: string | undefined },
    context: ChangeContext = {},
  ): Promise<SpKeyView> {
    const now = this.#now();
    const id = newKeyId(input.use, now);
    const pair = await generateKeyPair({
      commonName: `${this.#commonName} ${input.use}${input.connectionId ? ` (${input.connectionId})` : ''}`,
      days: this.#days,
      now,
    });
    await mkdir(this.#keysDir, { recursive: true });
    const keyFile = path.resolve(this.#keysDir, `${id}.key.pem`);
    await writeFile(keyFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    await writeFile(path.resolve(this.#keysDir, `${id}.cert.pem`), pair.certificatePem, { flag: 'wx' });
    return this.#insert(
      {
        id,
        use: input.use,
        certificatePem: pair.certificatePem,
        keyRef: `file:${keyFile}`,
        now,
        connectionId: input.connectionId,
      },
      'generate',
      context,
    );
  }

  /**
   * Registers a key whose private half is held elsewhere (a KMS key, a Vault transit key, a PEM file made by
   * other tooling), as `next`. The reference's scheme must have a resolver.
   */
  async add(
    input: { use: SpKeyUse; certificatePem: string; keyRef: string; connectionId?: string | undefined },
    context: ChangeContext = {},
  ): Promise<SpKeyView> {
    const scheme = schemeOf(input.keyRef);
    if (!this.#resolvers[scheme]) {
      throw new AdminError('ADMIN_INVALID_REQUEST', `No key resolver handles "${scheme || input.keyRef}".`, {
        hint: `Use file:/absolute/path.pem, or register a resolver for ${scheme || 'the scheme'} (KeyRing option resolvers).`,
      });
    }
    let certificatePem: string;
    try {
      certificatePem = normalizeCertificatePem(input.certificatePem);
    } catch (cause) {
      throw new AdminError(
        'ADMIN_INVALID_REQUEST',
        'The certificate is not a PEM or base64 X.509 certificate.',
        {
          cause,
        },
      );
    }
    const now = this.#now();
    return this.#insert(
      {
        id: newKeyId(input.use, now),
        use: input.use,
        certificatePem,
        keyRef: input.keyRef,
        now,
        connectionId: input.connectionId,
      },
      'add',
      context,
    );
  }

  /** `next` -> `active`: the key now signs (or is the first to decrypt); the key it replaces stays active. */
  async promote(id: string, context: ChangeContext = {}): Promise<SpKeyView> {
    const record = await this.#record(id);
    const next = this.#transition(() => promoted(record, this.#now()));
    // The private key must be reachable before anything signs with it.
    await this.#operationsOf(next);
    await this.#store.put(next);
    return this.#changed('promote', next, context, record);
  }

  /** `active`/`next` -> `retired`: no longer published, used or accepted. */
  async retire(id: string, context: ChangeContext = {}): Promise<SpKeyView> {
    const record = await this.#record(id);
    const all = await this.#store.list();
    const next = this.#transition(() => retired(record, all, this.#now()));
    await this.#store.put(next);
    return this.#changed('retire', next, context, record);
  }

  /**
   * The keys one connection uses, with their signers and decrypters; `undefined` for a use the ring has no
   * active key for (the ServiceProvider then uses its key files).
   */
  async keysFor(connectionId: string): Promise<ConnectionSpKeys | undefined> {
    // Asked at every login and ACS: kept per connection while the store's version says nothing changed.
    const version = await this.#store.version?.();
    const cached = this.#keysCache.get(connectionId);
    if (version !== undefined && cached?.version === version) return cached.keys;
    const keys = await this.#resolveKeysFor(connectionId);
    if (version !== undefined) {
      // Connection ids only get here once their connection was found; bounded all the same.
      if (this.#keysCache.size >= 10_000) this.#keysCache.clear();
      this.#keysCache.set(connectionId, { version, keys });
    }
    return keys;
  }

  async #resolveKeysFor(connectionId: string): Promise<ConnectionSpKeys | undefined> {
    const keys = keysForConnection(await this.#store.list(), connectionId);
    const { signing, encryption } = keys;
    if (!signing.active || !encryption.active) return undefined;
    const decryptionKeys = await Promise.all(encryption.decryption.map((r) => this.#spKey(r)));
    return {
      signing: await this.#spKey(signing.active),
      encryption: decryptionKeys[0] ?? (await this.#spKey(encryption.active)),
      published: {
        signing: signing.published.map((r) => r.certificatePem),
        encryption: encryption.published.map((r) => r.certificatePem),
      },
      decryption: {
        keys: decryptionKeys,
        retired: encryption.retired.map((r) => ({ id: r.id, certificatePem: r.certificatePem })),
      },
      version: keys.version,
    };
  }

  /** The key lint of one connection (sp-key-next-not-fetched, sp-key-active-expiring). */
  async lint(connectionId: string): Promise<LintWarning[]> {
    const [records, lastFetch] = await Promise.all([
      this.#store.list(),
      this.#store.lastMetadataFetch(connectionId),
    ]);
    return lintKeys({ keys: keysForConnection(records, connectionId), lastFetch, now: this.#now() });
  }

  /** The choice of keys for a connection, as records (admin views). */
  async recordsFor(connectionId: string): Promise<ConnectionKeys> {
    return keysForConnection(await this.#store.list(), connectionId);
  }

  /**
   * Records a GET of a connection's metadata (anonymous: `by` says who, for the admin to judge). At most one
   * write per connection a minute per instance, so the public URL cannot be turned into database load; the
   * first fetch after a key change on this instance is always written (a change made elsewhere, by the CLI or
   * another instance, shows in the lint at most a minute late).
   */
  async noteMetadataFetch(connectionId: string, by: string): Promise<void> {
    const now = this.#now();
    const last = this.#lastFetchWrite.get(connectionId);
    const recent = last !== undefined && now.getTime() - last < FETCH_RECORD_INTERVAL_MS;
    if (recent && last >= this.#keysChangedAt) return;
    this.#lastFetchWrite.set(connectionId, now.getTime());
    await this.#store.recordMetadataFetch(connectionId, { at: now, by });
  }

  async #insert(
    input: {
      id: string;
      use: SpKeyUse;
      certificatePem: string;
      keyRef: string;
      now: Date;
      connectionId?: string | undefined;
    },
    action: 'generate' | 'add',
    context: ChangeContext,
  ): Promise<SpKeyView> {
    const record: SpKeyRecord = {
      id: input.id,
      use: input.use,
      state: 'next',
      ...(input.connectionId ? { connectionId: input.connectionId } : {}),
      certificatePem: normalizeCertificatePem(input.certificatePem),
      keyRef: input.keyRef,
      createdAt: input.now,
    };
    await this.#store.put(record);
    return this.#changed(action, record, context);
  }

  async #changed(
    action: 'generate' | 'add' | 'promote' | 'retire',
    record: SpKeyRecord,
    context: ChangeContext,
    before?: SpKeyRecord,
  ): Promise<SpKeyView> {
    const key = viewOf(record);
    this.#keysChangedAt = this.#now().getTime();
    const { certificatePem: _cert, ...summary } = key;
    await this.#audit?.record({
      actor: context.actor,
      action: `sp_key.${AUDIT_VERBS[action]}`,
      target: { type: 'sp-key', id: record.id },
      ...(before ? { before: { state: before.state } } : {}),
      after: summary,
    });
    this.#onChange?.({ action, key }, context);
    return key;
  }

  async #record(id: string): Promise<SpKeyRecord> {
    const record = await this.#store.get(id);
    if (!record) {
      throw new AdminError('KEY_NOT_FOUND', `There is no SP key "${id}".`, {
        status: 404,
        hint: 'List the keys with `saml-sp keys list` or GET /admin/api/keys.',
      });
    }
    return record;
  }

  #transition(fn: () => SpKeyRecord): SpKeyRecord {
    try {
      return fn();
    } catch (err) {
      if (err instanceof KeyLifecycleError) {
        throw new AdminError('KEY_TRANSITION_REFUSED', err.message, { status: 409, hint: err.hint });
      }
      throw err;
    }
  }

  async #spKey(record: SpKeyRecord): Promise<SpKey> {
    const ops = await this.#operationsOf(record);
    return {
      id: record.id,
      certificatePem: record.certificatePem,
      signer: ops.signer,
      decrypter: ops.decrypter,
    };
  }

  #operationsOf(record: SpKeyRecord): Promise<KeyOperations> {
    let ops = this.#operations.get(record.keyRef);
    if (!ops) {
      const resolver = this.#resolvers[schemeOf(record.keyRef)];
      ops = resolver
        ? Promise.resolve(resolver(record.keyRef))
        : Promise.reject(new Error(`No key resolver for the reference of SP key ${record.id}.`));
      // A failed resolution (file missing) is retried next time, not cached.
      ops.catch(() => this.#operations.delete(record.keyRef));
      this.#operations.set(record.keyRef, ops);
    }
    return ops;
  }
}

function viewOf(r: SpKeyRecord): SpKeyView {
  const cert = new X509Certificate(r.certificatePem);
  return {
    id: r.id,
    use: r.use,
    state: r.state,
    connectionId: r.connectionId ?? null,
    fingerprintSha256: cert.fingerprint256,
    notBefore: cert.validFromDate.toISOString(),
    notAfter: cert.validToDate.toISOString(),
    createdAt: r.createdAt.toISOString(),
    activatedAt: r.activatedAt?.toISOString() ?? null,
    retiredAt: r.retiredAt?.toISOString() ?? null,
    keyStorage: schemeOf(r.keyRef),
    certificatePem: r.certificatePem,
  };
}

/** `signing-20261202-3f9a`: the use, the day, and enough randomness to never collide. */
function newKeyId(use: SpKeyUse, now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `${use}-${day}-${randomBytes(3).toString('hex')}`;
}
