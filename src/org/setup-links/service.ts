/**
 * Setup links (issue #12 item 3): an app admin creates a link for one organization; the customer's IT admin
 * opens it without an account and sets up their IdP in the portal (src/http/setup/). HTTP-free: the admin API,
 * the admin page, the CLI and the portal all run on this service.
 *
 * The link's token (256 random bits) appears once, in the URL returned by {@link SetupLinkService.create}; the
 * store keeps only its SHA-256, so a leaked database holds no working link. A link works until it expires
 * (default 7 days, at most 30) or is revoked; every use, refused ones included, is logged with time, IP, user
 * agent and action.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecorder } from '../../audit/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import { type Actor, type ChangeContext, UNKNOWN_ACTOR } from '../../sp/change-context.ts';
import { parseInput } from '../../sp/connection-input.ts';
import { looksLikeToken, newToken, tokenKey } from '../../sp/tokens.ts';
import type { SetupLinkRecord, SetupLinkStore, SetupLinkUse } from '../../store/setup-links.ts';
import type { SetupLinkEvent } from './events.ts';

export const DEFAULT_EXPIRY_DAYS = 7;
export const MAX_EXPIRY_DAYS = 30;
const DAY_MS = 86_400_000;

/** `POST /admin/api/organizations/:id/setup-links` (CONTRACT.md), and the CLI's `--days`. */
export const createSetupLinkSchema = z.strictObject({
  expiresInDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).optional(),
});

export type CreateSetupLinkInput = z.infer<typeof createSetupLinkSchema>;

/** How the service learns that an organization exists (the organizations service provides it). */
export interface SetupLinkOrganizations {
  get(id: string): Promise<{ id: string; name?: string } | undefined>;
}

/** The client behind a use, as the portal sees it. */
export interface SetupLinkClient {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface SetupLinkServiceOptions {
  store: SetupLinkStore;
  /** BASE_URL: links are `<baseUrl>/setup/<token>`. */
  baseUrl: string;
  /** Checks the organization exists before a link is made for it. Without it, any organization id is taken. */
  organizations?: SetupLinkOrganizations;
  now?: () => Date;
  /** Where admin changes are recorded (created, revoked, activated). Default: not recorded. */
  audit?: AuditRecorder;
  /** Lifecycle events (created, used, expired, revoked): the emit point for the event catalogue and webhooks. */
  onEvent?: (event: SetupLinkEvent) => void | Promise<void>;
  logger?: {
    info(event: string, fields?: Record<string, unknown>): void;
    warn(event: string, fields?: Record<string, unknown>): void;
  };
}

/** A link as the admin API lists it: never its token. */
export interface SetupLinkView {
  id: string;
  organizationId: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  createdBy: string;
  connectionId: string | null;
  activatedAt: string | null;
  uses?: { at: string; action: string; ip: string | null; userAgent: string | null }[];
}

/** What `create` returns: the only time the URL (with its token) is seen. */
export interface CreatedSetupLink {
  id: string;
  organizationId: string;
  url: string;
  expiresAt: string;
}

/**
 * Setup links over a {@link SetupLinkStore}.
 *
 * @example
 * ```ts
 * const links = new SetupLinkService({ store: stores.setupLinks, baseUrl: 'https://app.example.com' });
 * const { url, expiresAt } = await links.create('acme', { expiresInDays: 14 }, { actor: { kind: 'cli', name: 'cli' } });
 * ```
 */
export class SetupLinkService {
  readonly store: SetupLinkStore;
  readonly #baseUrl: string;
  readonly #organizations: SetupLinkOrganizations | undefined;
  readonly #now: () => Date;
  readonly #onEvent: SetupLinkServiceOptions['onEvent'];
  readonly #audit: AuditRecorder | undefined;
  readonly #logger: NonNullable<SetupLinkServiceOptions['logger']> | undefined;

  constructor(options: SetupLinkServiceOptions) {
    this.store = options.store;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#organizations = options.organizations;
    this.#now = options.now ?? (() => new Date());
    this.#onEvent = options.onEvent;
    this.#audit = options.audit;
    this.#logger = options.logger;
  }

  now(): Date {
    return this.#now();
  }

  /** The organization's name, when the organizations service knows it. */
  async organizationName(organizationId: string): Promise<string> {
    return (await this.#organizations?.get(organizationId))?.name ?? organizationId;
  }

  /** Creates a link; the returned URL carries the token and is shown once. */
  async create(
    organizationId: string,
    raw: unknown = {},
    context: ChangeContext = {},
  ): Promise<CreatedSetupLink> {
    const input = parseInput(createSetupLinkSchema, raw ?? {});
    if (this.#organizations && !(await this.#organizations.get(organizationId))) {
      throw new AdminError('ORGANIZATION_NOT_FOUND', `There is no organization "${organizationId}".`, {
        hint: 'Create the organization first (POST /admin/api/organizations), then its setup link.',
        status: 404,
      });
    }
    const actor = context.actor ?? UNKNOWN_ACTOR;
    const now = this.#now();
    const token = newToken();
    const link: SetupLinkRecord = {
      id: `sl_${randomBytes(12).toString('base64url')}`,
      organizationId,
      tokenHash: tokenKey(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + (input.expiresInDays ?? DEFAULT_EXPIRY_DAYS) * DAY_MS),
      createdBy: `${actor.kind}:${actor.name}`,
    };
    await this.store.create(link);
    await this.#record(context, 'setup_link.created', link.id, undefined, view(link, now));
    this.#logger?.info('setup_link.created', { linkId: link.id, organizationId, actor: link.createdBy });
    await this.#emit({
      type: 'setup_link.created',
      linkId: link.id,
      organizationId,
      at: now,
      actor,
      expiresAt: link.expiresAt,
    });
    return {
      id: link.id,
      organizationId,
      url: `${this.#baseUrl}/setup/${token}`,
      expiresAt: link.expiresAt.toISOString(),
    };
  }

  /** The organization's links, newest first, without tokens. */
  async list(organizationId: string): Promise<SetupLinkView[]> {
    const now = this.#now();
    return (await this.store.listForOrganization(organizationId)).map((l) => view(l, now));
  }

  /** One link with its use log; `organizationId` scopes the lookup (a link of another one is "not found"). */
  async get(id: string, organizationId?: string): Promise<SetupLinkView> {
    const link = await this.#find(id, organizationId);
    const uses = await this.store.listUses(id);
    return { ...view(link, this.#now()), uses: uses.map(useView) };
  }

  /** Revokes a link at once: the portal refuses it from its next request on. Revoking twice is fine. */
  async revoke(id: string, context: ChangeContext = {}, organizationId?: string): Promise<SetupLinkView> {
    const link = await this.#find(id, organizationId);
    const now = this.#now();
    if (await this.store.revoke(id, now)) {
      const actor = context.actor ?? UNKNOWN_ACTOR;
      await this.#record(
        context,
        'setup_link.revoked',
        id,
        view(link, now),
        view({ ...link, revokedAt: now }, now),
      );
      this.#logger?.info('setup_link.revoked', { linkId: id, organizationId: link.organizationId });
      await this.#emit({
        type: 'setup_link.revoked',
        linkId: id,
        organizationId: link.organizationId,
        at: now,
        actor,
      });
    }
    return view((await this.store.get(id)) ?? link, now);
  }

  /**
   * The link a presented token opens, if it is live; logs the use. Unknown tokens are SETUP_LINK_NOT_FOUND
   * (404); expired and revoked links are SETUP_LINK_EXPIRED / SETUP_LINK_REVOKED (410), logged as refused uses.
   */
  async open(token: string, client: SetupLinkClient = {}): Promise<SetupLinkRecord> {
    const link = looksLikeToken(token) ? await this.store.findByTokenHash(tokenKey(token)) : undefined;
    if (!link) throw notFound();
    await this.#assertLive(link, client);
    await this.recordUse(link, 'open', client);
    return link;
  }

  /** The link by id if it is still live (the portal re-checks on every request, so a revocation bites at once). */
  async live(id: string, client: SetupLinkClient = {}): Promise<SetupLinkRecord> {
    const link = await this.store.get(id);
    if (!link) throw notFound();
    await this.#assertLive(link, client);
    return link;
  }

  /** Logs one use of a live link and reports it. */
  async recordUse(link: SetupLinkRecord, action: string, client: SetupLinkClient = {}): Promise<void> {
    const at = this.#now();
    const use: SetupLinkUse = { linkId: link.id, at, action, ...clientFields(client) };
    await this.store.recordUse(use);
    await this.#emit({
      type: 'setup_link.used',
      linkId: link.id,
      organizationId: link.organizationId,
      at,
      actor: linkActor(link),
      action,
      ...(link.connectionId ? { connectionId: link.connectionId } : {}),
      ...clientFields(client),
    });
  }

  /** Binds the connection the link sets up; the first binding wins. Returns the bound id. */
  async bindConnection(link: SetupLinkRecord, connectionId: string): Promise<string> {
    const bound = await this.store.bindConnection(link.id, connectionId);
    if (bound === undefined) throw notFound();
    return bound;
  }

  /** Records that the IT admin activated the link's connection (after a passing test). */
  async markActivated(
    link: SetupLinkRecord,
    context: ChangeContext = { actor: linkActor(link) },
  ): Promise<void> {
    const now = this.#now();
    await this.store.markActivated(link.id, now);
    await this.#record(
      context,
      'setup_link.activated',
      link.id,
      view(link, now),
      view({ ...link, activatedAt: link.activatedAt ?? now }, now),
    );
  }

  async #record(context: ChangeContext, action: string, id: string, before: unknown, after: unknown) {
    await this.#audit?.record({
      actor: context.actor,
      action,
      target: { type: 'setup-link', id },
      before,
      after,
    });
  }

  async #assertLive(link: SetupLinkRecord, client: SetupLinkClient): Promise<void> {
    const now = this.#now();
    if (link.revokedAt) {
      await this.store.recordUse({
        linkId: link.id,
        at: now,
        action: 'refused-revoked',
        ...clientFields(client),
      });
      throw new AdminError('SETUP_LINK_REVOKED', 'This setup link was revoked.', {
        hint: 'Ask for a new setup link.',
        status: 410,
        details: { linkId: link.id },
      });
    }
    if (now.getTime() >= link.expiresAt.getTime()) {
      await this.store.recordUse({
        linkId: link.id,
        at: now,
        action: 'refused-expired',
        ...clientFields(client),
      });
      await this.#emit({
        type: 'setup_link.expired',
        linkId: link.id,
        organizationId: link.organizationId,
        at: now,
        actor: linkActor(link),
        expiresAt: link.expiresAt,
      });
      throw new AdminError(
        'SETUP_LINK_EXPIRED',
        `This setup link expired on ${link.expiresAt.toISOString()}.`,
        {
          hint: 'Ask for a new setup link.',
          status: 410,
          details: { linkId: link.id },
        },
      );
    }
  }

  async #find(id: string, organizationId: string | undefined): Promise<SetupLinkRecord> {
    const link = await this.store.get(id);
    if (!link || (organizationId !== undefined && link.organizationId !== organizationId)) throw notFound(id);
    return link;
  }

  async #emit(event: SetupLinkEvent): Promise<void> {
    if (!this.#onEvent) return;
    try {
      await this.#onEvent(event);
    } catch (err) {
      this.#logger?.warn('setup_link.event_failed', {
        type: event.type,
        linkId: event.linkId,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

/** The actor of what the customer's IT admin does through a link: the link itself. */
export function linkActor(link: Pick<SetupLinkRecord, 'id'>): Actor {
  return { kind: 'setup-link', name: link.id };
}

function notFound(id?: string): AdminError {
  return new AdminError(
    'SETUP_LINK_NOT_FOUND',
    id ? `There is no setup link "${id}" here.` : 'This setup link does not exist.',
    {
      hint: id
        ? 'List the organization’s setup links to see their ids.'
        : 'Check the link, or ask for a new one.',
      status: 404,
    },
  );
}

function clientFields(client: SetupLinkClient): { ip?: string; userAgent?: string } {
  return {
    ...(client.ip ? { ip: client.ip } : {}),
    ...(client.userAgent ? { userAgent: client.userAgent } : {}),
  };
}

function view(link: SetupLinkRecord, now: Date): SetupLinkView {
  return {
    id: link.id,
    organizationId: link.organizationId,
    status: link.revokedAt ? 'revoked' : now.getTime() >= link.expiresAt.getTime() ? 'expired' : 'active',
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt.toISOString(),
    revokedAt: link.revokedAt?.toISOString() ?? null,
    createdBy: link.createdBy,
    connectionId: link.connectionId ?? null,
    activatedAt: link.activatedAt?.toISOString() ?? null,
  };
}

function useView(use: SetupLinkUse) {
  return {
    at: use.at.toISOString(),
    action: use.action,
    ip: use.ip ?? null,
    userAgent: use.userAgent ?? null,
  };
}
