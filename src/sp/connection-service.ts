/**
 * Creating, changing, refreshing and removing connections: the one implementation behind the admin API, the
 * admin page, the CLI and the refresh scheduler. HTTP-free.
 *
 * Writes to one connection are serialised in this process (a refresh that took ten seconds to download must
 * not overwrite an admin's edit made meanwhile): slow work (fetching) happens outside the lock, then the
 * latest stored copy is re-read and changed under it.
 */
import type { AuditRecorder } from '../audit/index.ts';
import { isSamlSpError, SamlSpError } from '../core/errors.ts';
import { describeCertificate } from '../core/keys.ts';
import { lintConnection } from '../core/metadata/lint.ts';
import type { Connection, IdpCertificate } from '../core/types.ts';
import type { ConnectionHealthStore } from '../store/connection-health.ts';
import { MemoryConnectionHealthStore } from '../store/memory/connection-health.ts';
import { AdminError } from './admin-errors.ts';
import type { ChangeContext } from './change-context.ts';
import {
  type CreateConnectionInput,
  createConnectionSchema,
  parseInput,
  type UpdateConnectionInput,
  updateConnectionSchema,
} from './connection-input.ts';
import { type ConnectionView, connectionView } from './connection-view.ts';
import { applyMetadata, connectionFromMetadata, readMetadata } from './connections.ts';
import { fetchMetadata } from './metadata-fetch.ts';
import { failedRefreshStatus } from './metadata-status.ts';
import { OrganizationService } from './organization-service.ts';
import type { ServiceProvider } from './service-provider.ts';

/** Where the service reports what it did (the server passes its JSON logger). */
export interface ServiceLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

export interface ConnectionServiceOptions {
  sp: ServiceProvider;
  /** Sign-in health. Default: the stores' own, else an in-memory one. */
  health?: ConnectionHealthStore;
  /** Downloads a metadata URL. Default {@link fetchMetadata}. */
  fetchMetadata?: (url: string) => Promise<string>;
  /** Default: the ServiceProvider's clock. */
  now?: () => Date;
  /** How long a certificate the IdP stopped listing stays trusted. Default 7 days. */
  rolloverGraceMs?: number;
  logger?: ServiceLogger;
  /**
   * Where admin actions are recorded (create, update, remove, and refreshes an actor asked for). Default: not
   * recorded. The server passes its AuditLog.
   */
  audit?: AuditRecorder;
  /** Where a new connection's organization comes from. Default: an OrganizationService on the same `sp`. */
  organizations?: OrganizationService;
}

/** The result of a refresh: the connection as stored afterwards, and what changed. */
export interface RefreshOutcome {
  ok: boolean;
  connection: Connection;
  /** The metadata text differed from the copy in use. */
  changed: boolean;
  added: string[];
  retained: string[];
  dropped: string[];
  /** Why the refresh failed (the last good copy stays in use). */
  error?: SamlSpError;
}

const silent: ServiceLogger = { info() {}, warn() {} };

/**
 * Connection management over the ServiceProvider's stores.
 *
 * @example
 * ```ts
 * const connections = new ConnectionService({ sp });
 * const acme = await connections.create({ displayName: 'Acme', metadataUrl: 'https://idp.acme.com/metadata', preset: 'okta' });
 * await connections.refresh(acme.id);
 * ```
 */
export class ConnectionService {
  readonly sp: ServiceProvider;
  readonly health: ConnectionHealthStore;
  readonly organizations: OrganizationService;
  readonly #fetch: (url: string) => Promise<string>;
  readonly #now: () => Date;
  readonly #graceMs: number | undefined;
  readonly #logger: ServiceLogger;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #audit: AuditRecorder | undefined;

  constructor(options: ConnectionServiceOptions) {
    this.sp = options.sp;
    this.health = options.health ?? options.sp.stores.connectionHealth ?? new MemoryConnectionHealthStore();
    this.#fetch = options.fetchMetadata ?? ((url) => fetchMetadata(url));
    this.#now = options.now ?? (() => options.sp.now());
    this.#graceMs = options.rolloverGraceMs;
    this.#logger = options.logger ?? silent;
    this.#audit = options.audit;
    this.organizations =
      options.organizations ??
      new OrganizationService({ sp: options.sp, now: this.#now, logger: this.#logger });
  }

  /** Loads a connection or fails with SAML_CONNECTION_NOT_FOUND (404). */
  get(id: string): Promise<Connection> {
    return this.sp.connection(id);
  }

  list(): Promise<Connection[]> {
    return this.sp.stores.connections.list();
  }

  /** The SP entity ID a connection presents to its IdP. */
  spEntityIdOf(connection: Pick<Connection, 'id' | 'spEntityId'>): string {
    return this.sp.spIdentity(connection).entityId;
  }

  /** Every connection as the admin API shows it: SP values, lint and health. */
  async views(): Promise<ConnectionView[]> {
    const [all, health] = await Promise.all([this.list(), this.health.list()]);
    const byId = new Map(health.map((h) => [h.connectionId, h]));
    return all.map((c) => this.#view(c, all, byId.get(c.id)));
  }

  /** One connection as the admin API shows it. */
  async view(idOrConnection: string | Connection): Promise<ConnectionView> {
    const connection = typeof idOrConnection === 'string' ? await this.get(idOrConnection) : idOrConnection;
    const [all, health] = await Promise.all([this.list(), this.health.get(connection.id)]);
    return this.#view(connection, all, health);
  }

  #view(
    connection: Connection,
    all: Connection[],
    health: Awaited<ReturnType<ConnectionHealthStore['get']>>,
  ) {
    const now = this.#now();
    const lint = lintConnection({
      connection,
      now,
      spEntityId: this.spEntityIdOf(connection),
      others: all.map((o) => ({ id: o.id, idpEntityId: o.idpEntityId, spEntityId: this.spEntityIdOf(o) })),
    });
    return connectionView(this.sp, connection, { lint, health, now });
  }

  /**
   * Creates a connection from metadata text or a URL (fetched now). Throws ADMIN_INVALID_REQUEST for a bad
   * body, CONNECTION_EXISTS (409), or the metadata's own SamlSpError (SAML_METADATA_INVALID, ...).
   */
  async create(raw: CreateConnectionInput, context: ChangeContext = {}): Promise<Connection> {
    const input = parseInput(createConnectionSchema, raw);
    if (input.id && (await this.sp.stores.connections.get(input.id))) throw exists(input.id);
    if (input.organizationId) await this.organizations.get(input.organizationId);
    const metadataXml = input.metadataXml ?? (await this.#fetch(input.metadataUrl as string));
    const now = this.#now();
    const pinned = input.metadataSigningCertificates?.map(certificateOf);
    // Parsed once before the id is chosen, so a generated id can use the IdP's name.
    const probe = readMetadata(metadataXml, {
      now,
      idpEntityId: input.idpEntityId,
      pinned,
      allowSha1: input.policy?.allowSha1,
    });
    const id = input.id ?? (await this.#newId(input.displayName ?? hostOf(probe.entityId)));
    const policy = {
      ...input.policy,
      ...(input.allowIdpInitiated !== undefined ? { allowIdpInitiated: input.allowIdpInitiated } : {}),
    };
    const spEntityId = input.ownSpEntityId ? this.sp.spIdentity({ id }).metadataUrl : input.spEntityId;
    const connection = connectionFromMetadata(
      {
        id,
        displayName: input.displayName ?? id,
        metadataXml,
        idpEntityId: probe.entityId,
        ...(input.metadataUrl ? { metadataUrl: input.metadataUrl } : {}),
        ...(input.preset ? { preset: input.preset } : {}),
        ...(input.attributeMapping ? { attributeMapping: input.attributeMapping } : {}),
        policy,
        ...(spEntityId ? { spEntityId } : {}),
        ...(pinned ? { metadataSigningCertificates: pinned } : {}),
      },
      now,
    );
    await this.#locked(id, async () => {
      if (await this.sp.stores.connections.get(id)) throw exists(id);
      // CONTRACT.md: a connection created without an organization gets one of its own.
      connection.organizationId =
        input.organizationId ?? (await this.organizations.createForConnection(connection, context)).id;
      await this.sp.stores.connections.put(connection);
    });
    this.#logger.info('connection.created', {
      connectionId: id,
      idpEntityId: connection.idpEntityId,
      source: connection.metadataStatus?.source,
      certificates: connection.signingCertificates.map((c) => c.fingerprintSha256),
    });
    await this.#record(context, 'connection.created', id, undefined, connection);
    return connection;
  }

  /** Changes a connection (PATCH semantics: absent fields stay; `null` clears). */
  async update(id: string, raw: UpdateConnectionInput, context: ChangeContext = {}): Promise<Connection> {
    const input = parseInput(updateConnectionSchema, raw);
    await this.get(id);
    if (input.organizationId !== undefined) await this.organizations.get(input.organizationId);
    // A new URL is downloaded before taking the lock.
    const fetched = typeof input.metadataUrl === 'string' ? await this.#fetch(input.metadataUrl) : undefined;
    return this.#locked(id, async () => {
      const before = await this.get(id);
      let next = before;
      const now = this.#now();
      next = {
        ...next,
        ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
        ...(input.preset !== undefined ? { preset: input.preset } : {}),
        ...(input.attributeMapping !== undefined ? { attributeMapping: input.attributeMapping } : {}),
        ...(input.organizationId !== undefined ? { organizationId: input.organizationId } : {}),
        policy: {
          ...next.policy,
          ...input.policy,
          ...(input.allowIdpInitiated !== undefined ? { allowIdpInitiated: input.allowIdpInitiated } : {}),
        },
      };
      if (input.spEntityId === null) delete next.spEntityId;
      else if (input.spEntityId !== undefined) next.spEntityId = input.spEntityId;
      if (input.metadataSigningCertificates === null) delete next.metadataSigningCertificates;
      else if (input.metadataSigningCertificates) {
        next.metadataSigningCertificates = input.metadataSigningCertificates.map(certificateOf);
      }

      const newText = fetched ?? input.metadataXml;
      const rereadStored =
        newText === undefined &&
        (input.idpEntityId !== undefined || input.metadataSigningCertificates !== undefined);
      if (newText !== undefined || rereadStored) {
        const xml = newText ?? next.metadataXml;
        if (xml === undefined) {
          throw new AdminError(
            'ADMIN_INVALID_REQUEST',
            `Connection "${id}" has no stored metadata to re-read.`,
            {
              hint: 'Send metadataXml or metadataUrl with the change.',
            },
          );
        }
        const parsed = readMetadata(xml, {
          now,
          idpEntityId: input.idpEntityId ?? (newText === undefined ? next.idpEntityId : undefined),
          pinned: next.metadataSigningCertificates,
          allowSha1: next.policy.allowSha1,
        });
        const source =
          typeof input.metadataUrl === 'string' || (!newText && next.metadataUrl) ? 'url' : 'file';
        next = applyMetadata(next, parsed, xml, {
          now,
          source,
          keepPreviousCertificates: false,
        }).connection;
      }
      if (typeof input.metadataUrl === 'string') next.metadataUrl = input.metadataUrl;
      else if (input.metadataUrl === null || input.metadataXml !== undefined) {
        delete next.metadataUrl;
        if (next.metadataStatus) {
          const { nextRefreshAt: _n, lastError: _e, lastAttemptAt: _a, ...rest } = next.metadataStatus;
          next.metadataStatus = { ...rest, source: 'file', consecutiveFailures: 0 };
        }
      }
      next.updatedAt = now.toISOString();
      await this.sp.stores.connections.put(next);
      this.#logger.info('connection.updated', { connectionId: id, fields: Object.keys(input) });
      await this.#record(context, 'connection.updated', id, before, next);
      return next;
    });
  }

  /** Removes a connection and its health record. */
  async remove(id: string, context: ChangeContext = {}): Promise<void> {
    const before = await this.#locked(id, async () => {
      const current = await this.sp.stores.connections.get(id);
      if (!current || !(await this.sp.stores.connections.delete(id))) {
        throw new SamlSpError('SAML_CONNECTION_NOT_FOUND', `There is no connection "${id}".`, {
          hint: 'List the connections to see their ids.',
          status: 404,
        });
      }
      await this.health.delete(id);
      return current;
    });
    this.#logger.info('connection.removed', { connectionId: id });
    await this.#record(context, 'connection.removed', id, before, undefined);
  }

  /**
   * Re-reads the metadata URL now. On success the IdP facts are replaced and certificates merged for rollover
   * (new ones trusted beside the old, dropped ones kept for the grace period). On failure the last good copy
   * stays in use and the failure is recorded on the connection; the outcome carries the error.
   *
   * Audited only when `context.actor` is given (an admin asked): the scheduler's own refreshes pass none.
   */
  async refresh(id: string, context: ChangeContext = {}): Promise<RefreshOutcome> {
    const outcome = await this.#refresh(id);
    this.sp.metrics.metadataRefreshes.add(1, {
      connection: id,
      outcome: outcome.ok ? 'success' : 'failure',
      changed: outcome.changed,
    });
    if (context.actor) {
      await this.#record(context, 'connection.metadata_refreshed', id, undefined, {
        ok: outcome.ok,
        changed: outcome.changed,
        added: outcome.added,
        retained: outcome.retained,
        dropped: outcome.dropped,
        ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
      });
    }
    return outcome;
  }

  async #refresh(id: string): Promise<RefreshOutcome> {
    const current = await this.get(id);
    const url = current.metadataUrl;
    if (!url) {
      throw new AdminError(
        'CONNECTION_NOT_REFRESHABLE',
        `Connection "${id}" was created from a file, not a URL.`,
        {
          hint: 'Upload the new metadata file instead, or set the connection’s metadataUrl so it refreshes itself.',
          status: 409,
        },
      );
    }
    const now = this.#now();
    let xml: string;
    let parsed: ReturnType<typeof readMetadata>;
    try {
      xml = await this.#fetch(url);
      parsed = readMetadata(xml, {
        now,
        idpEntityId: current.idpEntityId,
        pinned: current.metadataSigningCertificates,
        allowSha1: current.policy.allowSha1,
      });
    } catch (err) {
      const error = asSamlError(err);
      const connection = await this.#locked(id, async () => {
        const latest = await this.sp.stores.connections.get(id);
        if (!latest) return current;
        const next = { ...latest, metadataStatus: failedRefreshStatus(latest, error, now) };
        await this.sp.stores.connections.put(next);
        return next;
      });
      this.#logger.warn('connection.metadata_refresh_failed', {
        connectionId: id,
        url,
        code: error.code,
        message: error.message,
        failures: connection.metadataStatus?.consecutiveFailures,
      });
      return { ok: false, connection, changed: false, added: [], retained: [], dropped: [], error };
    }
    return this.#locked(id, async () => {
      const latest = await this.sp.stores.connections.get(id);
      // Removed, or switched to another source while we were downloading: this result is moot.
      if (!latest || latest.metadataUrl !== url) {
        return {
          ok: false,
          connection: latest ?? current,
          changed: false,
          added: [],
          retained: [],
          dropped: [],
        };
      }
      const applied = applyMetadata(latest, parsed, xml, {
        now,
        source: 'url',
        keepPreviousCertificates: true,
        ...(this.#graceMs !== undefined ? { graceMs: this.#graceMs } : {}),
      });
      await this.sp.stores.connections.put(applied.connection);
      const { added, retained, dropped } = applied.merge;
      this.#logger.info('connection.metadata_refreshed', {
        connectionId: id,
        changed: applied.changed,
        added,
        retained,
        dropped,
        nextRefreshAt: applied.connection.metadataStatus?.nextRefreshAt,
      });
      return { ok: true, connection: applied.connection, changed: applied.changed, added, retained, dropped };
    });
  }

  /** URL connections whose next refresh is due at `now`. */
  async dueForRefresh(now: Date = this.#now()): Promise<Connection[]> {
    return (await this.list()).filter((c) => isDueForRefresh(c, now));
  }

  async #record(
    context: ChangeContext,
    action: string,
    id: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    await this.#audit?.record({
      actor: context.actor,
      action,
      target: { type: 'connection', id },
      before,
      after,
    });
  }

  async #newId(base: string): Promise<string> {
    const slug =
      base
        .toLowerCase()
        .normalize('NFKD')
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40) || 'idp';
    for (let n = 1; n < 100; n++) {
      const id = n === 1 ? slug : `${slug}-${n}`;
      if (!(await this.sp.stores.connections.get(id))) return id;
    }
    return `${slug}-${Date.now().toString(36)}`;
  }

  async #locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.#locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }
}

/**
 * Whether a connection's metadata URL is due for a refresh at `now`: the next-due time is stored with the
 * connection (`metadataStatus.nextRefreshAt`), so the schedule survives restarts and is the same on every
 * instance.
 */
export function isDueForRefresh(connection: Connection, now: Date): boolean {
  if (!connection.metadataUrl) return false;
  const next = connection.metadataStatus?.nextRefreshAt;
  return next === undefined || Date.parse(next) <= now.getTime();
}

function exists(id: string): AdminError {
  return new AdminError('CONNECTION_EXISTS', `A connection "${id}" already exists.`, {
    hint: 'Choose another id, or change the existing connection (PATCH) instead.',
    status: 409,
  });
}

function certificateOf(text: string): IdpCertificate {
  try {
    return describeCertificate(text);
  } catch (cause) {
    throw new AdminError(
      'ADMIN_INVALID_REQUEST',
      'A pinned metadata signing certificate is not an X.509 certificate.',
      {
        hint: 'Paste the certificate that signs the IdP metadata as PEM (-----BEGIN CERTIFICATE-----) or base64.',
        cause,
      },
    );
  }
}

function hostOf(entityId: string): string {
  return (
    URL.parse(entityId)
      ?.hostname.replace(/^www\./, '')
      .split('.')[0] ?? entityId
  );
}

function asSamlError(err: unknown): SamlSpError {
  if (isSamlSpError(err)) return err;
  return new SamlSpError('SAML_METADATA_INVALID', `Refreshing the metadata failed: ${String(err)}`, {
    hint: 'See the server log for details.',
    cause: err,
  });
}
