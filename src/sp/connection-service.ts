/**
 * Creating, changing, refreshing and removing connections: the one implementation behind the admin API, the
 * admin page, the CLI and the refresh scheduler. HTTP-free.
 *
 * Writes to one connection are serialised in this process (a refresh that took ten seconds to download must
 * not overwrite an admin's edit made meanwhile): slow work (fetching) happens outside the lock, then the
 * latest stored copy is re-read and changed under it.
 */

import type { AuditRecorder } from '../audit/index.ts';
import {
  type ActivationRecord,
  type ConnectionStatus,
  connectionStatus,
  type TestVerdict,
  withChange,
} from '../core/connection-lifecycle.ts';
import { isSamlSpError, SamlSpError } from '../core/errors.ts';
import { describeCertificate } from '../core/keys.ts';
import type { ParsedIdpMetadata } from '../core/metadata/idp-metadata.ts';
import { metadataLimits } from '../core/metadata/limits.ts';
import { type LintWarning, lintConnection } from '../core/metadata/lint.ts';
import type { Connection, ConnectionPolicy, IdpCertificate } from '../core/types.ts';
import type { ConnectionHealthStore } from '../store/connection-health.ts';
import { MemoryConnectionHealthStore } from '../store/memory/connection-health.ts';
import { AdminError } from './admin-errors.ts';
import { type Actor, type ChangeContext, UNKNOWN_ACTOR } from './change-context.ts';
import {
  type CreateConnectionInput,
  createConnectionSchema,
  parseInput,
  type UpdateConnectionInput,
  updateConnectionSchema,
} from './connection-input.ts';
import { type ConnectionView, connectionView } from './connection-view.ts';
import { applyMetadata, connectionFromMetadata, draftConnection } from './connections.ts';
import { freeId } from './free-id.ts';
import { fetchMetadata } from './metadata-fetch.ts';
import { failedRefreshStatus } from './metadata-status.ts';
import { readMetadataOffThread } from './metadata-thread.ts';
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
  /**
   * Downloads a metadata URL, refusing a body above `maxBytes` (the connection's download cap, from
   * `policy.metadataMaxBytes`). Default {@link fetchMetadata}.
   */
  fetchMetadata?: (url: string, options: { maxBytes: number }) => Promise<string>;
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
  /** More lint per connection, shown with the metadata lint: the SP key ring's (src/keys/lint.ts). */
  keyLint?: (connectionId: string) => Promise<LintWarning[]>;
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
  readonly #fetch: (url: string, options: { maxBytes: number }) => Promise<string>;
  readonly #now: () => Date;
  readonly #graceMs: number | undefined;
  readonly #logger: ServiceLogger;
  readonly #keyLint: ((connectionId: string) => Promise<LintWarning[]>) | undefined;
  readonly #audit: AuditRecorder | undefined;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: ConnectionServiceOptions) {
    this.sp = options.sp;
    this.health = options.health ?? options.sp.stores.connectionHealth ?? new MemoryConnectionHealthStore();
    this.#fetch = options.fetchMetadata ?? ((url, fetchOptions) => fetchMetadata(url, fetchOptions));
    this.#now = options.now ?? (() => options.sp.now());
    this.#graceMs = options.rolloverGraceMs;
    this.#logger = options.logger ?? silent;
    this.#audit = options.audit;
    this.organizations =
      options.organizations ??
      new OrganizationService({ sp: options.sp, now: this.#now, logger: this.#logger });
    this.#keyLint = options.keyLint;
  }

  /** Loads a connection or fails with SAML_CONNECTION_NOT_FOUND (404). */
  get(id: string): Promise<Connection> {
    return this.sp.connection(id);
  }

  list(): Promise<Connection[]> {
    return this.sp.stores.connections.list();
  }

  /** The SP entity ID a connection presents to its IdP. */
  spEntityIdOf(connection: Pick<Connection, 'id' | 'spEntityId' | 'spEntityIdMode'>): string {
    return this.sp.spIdentity(connection).entityId;
  }

  /** Every connection as the admin API shows it: SP values, lint and health. */
  async views(): Promise<ConnectionView[]> {
    const [all, health] = await Promise.all([this.list(), this.health.list()]);
    const byId = new Map(health.map((h) => [h.connectionId, h]));
    const keyLint = await Promise.all(all.map((c) => this.#keyLint?.(c.id) ?? []));
    return all.map((c, i) => this.#view(c, all, byId.get(c.id), keyLint[i]));
  }

  /** One connection as the admin API shows it. */
  async view(idOrConnection: string | Connection): Promise<ConnectionView> {
    const connection = typeof idOrConnection === 'string' ? await this.get(idOrConnection) : idOrConnection;
    const [all, health, keyLint] = await Promise.all([
      this.list(),
      this.health.get(connection.id),
      this.#keyLint?.(connection.id) ?? [],
    ]);
    return this.#view(connection, all, health, keyLint);
  }

  #view(
    connection: Connection,
    all: Connection[],
    health: Awaited<ReturnType<ConnectionHealthStore['get']>>,
    keyLint: LintWarning[] = [],
  ) {
    const now = this.#now();
    // A draft has no IdP facts to lint yet; other drafts are no IdP to collide with.
    const lint =
      connection.status === 'draft'
        ? []
        : lintConnection({
            connection,
            now,
            spEntityId: this.spEntityIdOf(connection),
            others: all
              .filter((o) => o.status !== 'draft')
              .map((o) => ({ id: o.id, idpEntityId: o.idpEntityId, spEntityId: this.spEntityIdOf(o) })),
          }).concat(keyLint);
    return connectionView(this.sp, connection, { lint, health, now });
  }

  /**
   * Creates a connection. Only a name (or an id) is needed: without metadata it is a `draft` that already has
   * its own SP entity ID, ACS/SLO URLs and SP metadata, so the IdP admin can be given them first. With metadata
   * (text, or a URL fetched now) it is `testing` when `requireTest` is set, else `active` at once: the app
   * admin calling this is allowed to skip the test, and the activation records them (`via: 'created'`).
   *
   * Throws ADMIN_INVALID_REQUEST for a bad body, CONNECTION_EXISTS (409), CONNECTION_NAME_EXISTS (409, unless
   * `allowDuplicateName`), or the metadata's own SamlSpError (SAML_METADATA_INVALID, ...).
   */
  async create(raw: CreateConnectionInput, context: ChangeContext = {}): Promise<Connection> {
    const input = parseInput(createConnectionSchema, raw);
    if (input.id && (await this.sp.stores.connections.get(input.id))) throw exists(input.id);
    if (input.organizationId) await this.organizations.get(input.organizationId);
    const policyInput = withoutCleared(input.policy);
    const limits = metadataLimits(policyInput);
    const metadataXml =
      input.metadataXml ??
      (input.metadataUrl
        ? await this.#fetch(input.metadataUrl, { maxBytes: limits.downloadBytes })
        : undefined);
    const now = this.#now();
    const actor = actorOf(context);
    const pinned = input.metadataSigningCertificates?.map(certificateOf);
    // Parsed once before the id is chosen, so a generated id can use the IdP's name.
    const probe =
      metadataXml === undefined
        ? undefined
        : await readMetadataOffThread(metadataXml, {
            now,
            idpEntityId: input.idpEntityId,
            pinned,
            allowSha1: input.policy?.allowSha1,
            maxBytes: limits.maxBytes,
          });
    // After the metadata checks, so an unusable document is reported as such first.
    if (input.displayName && !input.allowDuplicateName) await this.#assertNameFree(input.displayName);
    const base = input.displayName ?? (probe ? hostOf(probe.entityId) : 'idp');
    const id = input.id ?? (await this.#newId(base));
    const policy = {
      ...policyInput,
      ...(input.allowIdpInitiated !== undefined ? { allowIdpInitiated: input.allowIdpInitiated } : {}),
    };
    const common = {
      id,
      displayName: input.displayName ?? id,
      ...(input.preset ? { preset: input.preset } : {}),
      ...(input.attributeMapping ? { attributeMapping: input.attributeMapping } : {}),
      policy,
      ...(input.spEntityId ? { spEntityId: input.spEntityId } : {}),
      ...(pinned ? { metadataSigningCertificates: pinned } : {}),
    };
    const built =
      metadataXml === undefined || !probe
        ? draftConnection(common, now)
        : connectionFromMetadata(
            {
              ...common,
              metadataXml,
              idpEntityId: probe.entityId,
              ...(input.metadataUrl ? { metadataUrl: input.metadataUrl } : {}),
            },
            now,
            probe,
          );
    const status: ConnectionStatus = !probe ? 'draft' : input.requireTest ? 'testing' : 'active';
    const connection: Connection = withChange(
      {
        ...built,
        spEntityIdMode: input.spEntityId ? 'custom' : (input.spEntityIdMode ?? 'connection'),
        status,
        ...(status === 'active'
          ? { activation: { at: now.toISOString(), actor, via: 'created' as const } }
          : {}),
      },
      { at: now.toISOString(), actor, action: 'created' },
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
      status,
      actor,
      idpEntityId: connection.idpEntityId || undefined,
      source: connection.metadataStatus?.source,
      certificates: connection.signingCertificates.map((c) => c.fingerprintSha256),
    });
    await this.#record(context, 'connection.created', id, undefined, connection);
    await this.sp.events.emit('connection.created', {
      connectionId: id,
      ...(connection.organizationId ? { organizationId: connection.organizationId } : {}),
      idpEntityId: connection.idpEntityId,
      actor: actorName(context),
    });
    return connection;
  }

  /**
   * Changes a connection (PATCH semantics: absent fields stay; `null` clears). Metadata given to a draft makes
   * it `testing`. Every change is recorded in the connection's history with `context.actor`.
   */
  async update(id: string, raw: UpdateConnectionInput, context: ChangeContext = {}): Promise<Connection> {
    const input = parseInput(updateConnectionSchema, raw);
    const current = await this.get(id);
    if (
      input.displayName !== undefined &&
      !input.allowDuplicateName &&
      input.displayName.trim().toLowerCase() !== current.displayName.trim().toLowerCase()
    ) {
      await this.#assertNameFree(input.displayName, id);
    }
    if (input.organizationId !== undefined) await this.organizations.get(input.organizationId);
    // A new URL is downloaded before taking the lock, under the limit the connection will have after the change.
    const fetched =
      typeof input.metadataUrl === 'string'
        ? await this.#fetch(input.metadataUrl, {
            maxBytes: metadataLimits(mergedPolicy(current.policy, input.policy)).downloadBytes,
          })
        : undefined;
    const updated = await this.#locked(id, async () => {
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
          ...mergedPolicy(next.policy, input.policy),
          ...(input.allowIdpInitiated !== undefined ? { allowIdpInitiated: input.allowIdpInitiated } : {}),
        },
      };
      if (input.spEntityId === null) {
        delete next.spEntityId;
        next.spEntityIdMode =
          input.spEntityIdMode && input.spEntityIdMode !== 'custom' ? input.spEntityIdMode : 'shared';
      } else if (input.spEntityId !== undefined) {
        next.spEntityId = input.spEntityId;
        next.spEntityIdMode = 'custom';
      } else if (input.spEntityIdMode !== undefined) {
        if (input.spEntityIdMode === 'custom' && !next.spEntityId) {
          throw new AdminError('ADMIN_INVALID_REQUEST', 'spEntityIdMode "custom" needs spEntityId.', {
            hint: 'Send the custom SP entity ID as spEntityId.',
          });
        }
        if (input.spEntityIdMode !== 'custom') delete next.spEntityId;
        next.spEntityIdMode = input.spEntityIdMode;
      }
      if (input.metadataSigningCertificates === null) delete next.metadataSigningCertificates;
      else if (input.metadataSigningCertificates) {
        next.metadataSigningCertificates = input.metadataSigningCertificates.map(certificateOf);
      }

      const newText = fetched ?? input.metadataXml;
      const rereadStored =
        newText === undefined &&
        (input.idpEntityId !== undefined || input.metadataSigningCertificates !== undefined) &&
        next.metadataXml !== undefined;
      if (newText === undefined && input.idpEntityId !== undefined && next.metadataXml === undefined) {
        throw new AdminError(
          'ADMIN_INVALID_REQUEST',
          `Connection "${id}" has no stored metadata to re-read.`,
          {
            hint: 'Send metadataXml or metadataUrl with the change.',
          },
        );
      }
      if (rereadStored && next.metadataStatus?.aggregate) assertExcerptRereadable(before, input);
      if (newText !== undefined || rereadStored) {
        const xml = (newText ?? next.metadataXml) as string;
        const parsed = await readMetadataOffThread(xml, {
          now,
          idpEntityId: input.idpEntityId ?? (newText === undefined ? next.idpEntityId : undefined),
          pinned: next.metadataSigningCertificates,
          allowSha1: next.policy.allowSha1,
          maxBytes: metadataLimits(next.policy).maxBytes,
        });
        const source =
          typeof input.metadataUrl === 'string' || (!newText && next.metadataUrl) ? 'url' : 'file';
        next = applyMetadata(next, parsed, xml, {
          now,
          source,
          keepPreviousCertificates: false,
        }).connection;
        // The first metadata moves a draft on to testing; an active connection stays active.
        if (next.status === 'draft') next.status = 'testing';
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
      const fields = Object.keys(input).filter((k) => k !== 'allowDuplicateName');
      next = withChange(next, { at: next.updatedAt, actor: actorOf(context), action: 'updated', fields });
      await this.sp.stores.connections.put(next);
      this.#logger.info('connection.updated', { connectionId: id, fields, actor: actorOf(context) });
      await this.#record(context, 'connection.updated', id, before, next);
      return next;
    });
    await this.sp.events.emit('connection.updated', {
      connectionId: id,
      ...(updated.organizationId ? { organizationId: updated.organizationId } : {}),
      fields: Object.keys(input).filter((k) => k !== 'allowDuplicateName'),
      actor: actorName(context),
    });
    return updated;
  }

  /**
   * Makes a connection active. Without `override`, its last test sign-in must have passed (with or without
   * warnings). `override` is an app admin's decision to skip the test, recorded with the actor; a setup link
   * or SCIM token may not override. A draft cannot be activated at all: it has no IdP to sign in with.
   *
   * @example
   * ```ts
   * await connections.activate('acme', {}, { actor: { kind: 'setup-link', name: link.id } });
   * ```
   */
  async activate(
    id: string,
    options: { override?: boolean } = {},
    context: ChangeContext = {},
  ): Promise<Connection> {
    const actor = actorOf(context);
    return this.#locked(id, async () => {
      const current = await this.get(id);
      const status = connectionStatus(current);
      if (status === 'active') return current;
      if (status === 'draft') {
        throw new AdminError('CONNECTION_NOT_READY', `Connection "${id}" has no IdP metadata yet.`, {
          hint: 'Upload the IdP metadata or give its URL, run a test sign-in, then activate.',
          status: 409,
        });
      }
      const passed = current.lastTest && current.lastTest.outcome !== 'failed';
      if (!passed && !options.override) {
        throw new AdminError('CONNECTION_TEST_REQUIRED', `Connection "${id}" has no passing test sign-in.`, {
          hint: 'Run "Test sign-in" and activate once it passes. An app admin may override (override: true).',
          status: 409,
        });
      }
      if (!passed && (actor.kind === 'setup-link' || actor.kind === 'scim-token')) {
        throw new AdminError('ADMIN_FORBIDDEN', 'Only an app admin may activate without a passing test.', {
          hint: 'Run the test sign-in until it passes.',
          status: 403,
        });
      }
      const at = this.#now().toISOString();
      const activation: ActivationRecord = passed
        ? { at, actor, via: 'test', testRun: current.lastTest!.run }
        : { at, actor, via: 'override' };
      const next = withChange(
        { ...current, status: 'active' as const, activation, updatedAt: at },
        { at, actor, action: 'activated', fields: [activation.via] },
      );
      await this.sp.stores.connections.put(next);
      this.#logger.info('connection.activated', { connectionId: id, via: activation.via, actor });
      await this.#record(context, 'connection.activated', id, current, next);
      await this.sp.events.emit('connection.activated', { connectionId: id, actor: actorName(context) });
      return next;
    });
  }

  /**
   * Records a test sign-in's verdict on the connection (src/sp/test-sign-in.ts calls this; only verified
   * responses reach it). A passing verdict is what `activate` asks for.
   */
  async recordTest(id: string, verdict: TestVerdict): Promise<Connection | undefined> {
    return this.#locked(id, async () => {
      const current = await this.sp.stores.connections.get(id);
      if (!current) return undefined;
      const next = withChange(
        { ...current, lastTest: verdict },
        { at: verdict.at, actor: verdict.actor, action: 'tested', fields: [verdict.outcome] },
      );
      await this.sp.stores.connections.put(next);
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
    this.#logger.info('connection.removed', { connectionId: id, actor: actorOf(context) });
    await this.#record(context, 'connection.removed', id, before, undefined);
    await this.sp.events.emit('connection.deleted', {
      connectionId: id,
      ...(before.organizationId ? { organizationId: before.organizationId } : {}),
      actor: actorName(context),
    });
  }

  /** Other connections with this display name (case and surrounding space ignored). */
  async connectionsNamed(displayName: string, exceptId?: string): Promise<Connection[]> {
    const wanted = displayName.trim().toLowerCase();
    return (await this.list()).filter(
      (c) => c.id !== exceptId && c.displayName.trim().toLowerCase() === wanted,
    );
  }

  async #assertNameFree(displayName: string, exceptId?: string): Promise<void> {
    const clash = await this.connectionsNamed(displayName, exceptId);
    if (clash.length === 0) return;
    throw new AdminError(
      'CONNECTION_NAME_EXISTS',
      `A connection named "${displayName}" already exists (${clash.map((c) => c.id).join(', ')}).`,
      {
        hint: 'Choose another name so admins can tell them apart, or confirm the duplicate (allowDuplicateName: true).',
        status: 409,
        details: { existing: clash.map((c) => c.id) },
      },
    );
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
    let parsed: ParsedIdpMetadata;
    try {
      const limits = metadataLimits(current.policy);
      xml = await this.#fetch(url, { maxBytes: limits.downloadBytes });
      parsed = await readMetadataOffThread(xml, {
        now,
        idpEntityId: current.idpEntityId,
        pinned: current.metadataSigningCertificates,
        allowSha1: current.policy.allowSha1,
        maxBytes: limits.maxBytes,
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
      await this.sp.events.emit('metadata.failing', {
        connectionId: id,
        code: error.code,
        consecutiveFailures: connection.metadataStatus?.consecutiveFailures ?? 1,
      });
      return { ok: false, connection, changed: false, added: [], retained: [], dropped: [], error };
    }
    const outcome = await this.#locked(id, async (): Promise<RefreshOutcome & { removed?: string[] }> => {
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
      const removed = unlisted(latest, [...retained, ...dropped]);
      return {
        ok: true,
        connection: applied.connection,
        changed: applied.changed,
        added,
        retained,
        dropped,
        removed,
      };
    });
    const { removed, ...result } = outcome;
    if (result.ok) {
      await this.sp.events.emit('metadata.refreshed', { connectionId: id, textChanged: result.changed });
      if (result.added.length > 0 || (removed?.length ?? 0) > 0) {
        await this.sp.events.emit('metadata.changed', {
          connectionId: id,
          added: result.added,
          removed: removed ?? [],
        });
      }
    }
    return result;
  }

  /** URL connections whose next refresh is due at `now`. */
  async dueForRefresh(now: Date = this.#now()): Promise<Connection[]> {
    return (await this.list()).filter((c) => isDueForRefresh(c, now));
  }

  #newId(base: string): Promise<string> {
    return freeId(base, 'idp', async (id) => (await this.sp.stores.connections.get(id)) !== undefined);
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

type PolicyInput = UpdateConnectionInput['policy'];

/** The policy input without a `null` metadataMaxBytes (which means: back to the default). */
function withoutCleared(input: PolicyInput): Partial<ConnectionPolicy> | undefined {
  if (!input) return undefined;
  const { metadataMaxBytes, ...rest } = input;
  return metadataMaxBytes === null || metadataMaxBytes === undefined ? rest : { ...rest, metadataMaxBytes };
}

/** PATCH semantics for the policy: given fields replace, `metadataMaxBytes: null` removes the setting. */
function mergedPolicy(current: ConnectionPolicy, input: PolicyInput): ConnectionPolicy {
  const next: ConnectionPolicy = { ...current, ...withoutCleared(input) };
  if (input?.metadataMaxBytes === null) delete next.metadataMaxBytes;
  return next;
}

/**
 * A connection imported from a large aggregate keeps only its chosen entity (metadataStatus.aggregate): that
 * copy can be read again for the same entity, but another entity, or a signature pinned now, needs the whole
 * feed again.
 */
function assertExcerptRereadable(connection: Connection, input: UpdateConnectionInput): void {
  const otherEntity = input.idpEntityId !== undefined && input.idpEntityId !== connection.idpEntityId;
  if (!otherEntity && !input.metadataSigningCertificates) return;
  throw new AdminError(
    'ADMIN_INVALID_REQUEST',
    `Connection "${connection.id}" keeps only the entity it chose from its aggregate (${connection.idpEntityId}).`,
    {
      hint: connection.metadataUrl
        ? 'Send the metadataUrl again with this change, so the whole aggregate is downloaded and read.'
        : 'Send the aggregate again (metadataXml, or metadataUrl) with this change.',
    },
  );
}

function actorOf(context: ChangeContext): Actor {
  return context.actor ?? { ...UNKNOWN_ACTOR };
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

/** Who asked, as events name them. */
function actorName(context: ChangeContext): string {
  const actor = context.actor ?? UNKNOWN_ACTOR;
  return `${actor.kind}:${actor.name}`;
}

/**
 * Of the certificates the fresh metadata no longer lists, those the previous copy still listed: a
 * certificate kept for the rollover grace period left the metadata at an earlier refresh, not at this one.
 * The previous copy listed a certificate when it was last seen at that copy's import.
 */
function unlisted(previous: Connection, fingerprints: readonly string[]): string[] {
  const importedAt = previous.metadataStatus?.importedAt;
  return fingerprints.filter((fp) => {
    const cert = previous.signingCertificates.find((c) => c.fingerprintSha256 === fp);
    if (!cert) return false;
    return cert.lastSeenAt === undefined || importedAt === undefined || cert.lastSeenAt >= importedAt;
  });
}
