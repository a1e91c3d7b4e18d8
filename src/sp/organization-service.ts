/**
 * Creating, changing and removing organizations (customers) and their email domains: the one implementation
 * behind the admin API, the admin page and the CLI. HTTP-free. Every mutating method takes a ChangeContext
 * last, so the actor is recorded where it matters (who marked a domain verified) and can reach the audit log.
 *
 * Writes to one organization are serialised in this process (KeyedMutex); across instances the store's
 * unique domain key is what keeps a domain in one organization only.
 */
import { randomBytes } from 'node:crypto';
import type { AuditRecorder } from '../audit/index.ts';
import {
  DEFAULT_ORGANIZATION_POLICY,
  normalizeDomain,
  type Organization,
  type OrganizationDomain,
} from '../core/organization.ts';
import type { Connection } from '../core/types.ts';
import { isDomainTaken, type OrganizationStore } from '../store/organizations.ts';
import { AdminError } from './admin-errors.ts';
import { type ChangeContext, UNKNOWN_ACTOR } from './change-context.ts';
import { parseInput } from './connection-input.ts';
import type { ServiceLogger } from './connection-service.ts';
import { checkDomainChallenge, createTxtResolver, type TxtResolver } from './domain-verification.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import {
  type CreateOrganizationInput,
  createOrganizationSchema,
  type UpdateOrganizationInput,
  updateOrganizationSchema,
} from './organization-input.ts';
import { domainChallenge, type OrganizationView, organizationView } from './organization-view.ts';
import type { ServiceProvider } from './service-provider.ts';

// The views moved to organization-view.ts; re-exported so that imports from this module keep working.
export {
  CHALLENGE_LABEL,
  CHALLENGE_VALUE_PREFIX,
  type DomainChallenge,
  domainChallenge,
  type OrganizationView,
  organizationView,
} from './organization-view.ts';

import { freeId } from './free-id.ts';

export interface OrganizationServiceOptions {
  sp: ServiceProvider;
  /** Default: the ServiceProvider's clock. */
  now?: () => Date;
  logger?: ServiceLogger;
  /** Looks domain challenges up. Default: node:dns/promises on the system's resolvers. */
  resolver?: TxtResolver;
  /** Where changes are recorded (the audit log). Default: not recorded. */
  audit?: AuditRecorder;
}

const silent: ServiceLogger = { info() {}, warn() {} };

/**
 * Organization management over the ServiceProvider's stores.
 *
 * @example
 * ```ts
 * const organizations = new OrganizationService({ sp });
 * const acme = await organizations.create({ name: 'Acme', domains: ['acme.com'] }, { actor });
 * await organizations.markDomainVerified(acme.id, 'acme.com', { actor });
 * ```
 */
export class OrganizationService {
  readonly sp: ServiceProvider;
  readonly #now: () => Date;
  readonly #logger: ServiceLogger;
  readonly #resolver: TxtResolver;
  readonly #mutex = new KeyedMutex();
  readonly #audit: AuditRecorder | undefined;

  constructor(options: OrganizationServiceOptions) {
    this.sp = options.sp;
    this.#now = options.now ?? (() => options.sp.now());
    this.#logger = options.logger ?? silent;
    this.#resolver = options.resolver ?? createTxtResolver();
    this.#audit = options.audit;
  }

  get #store(): OrganizationStore {
    return this.sp.organizations;
  }

  /** Loads an organization or fails with ORGANIZATION_NOT_FOUND (404). */
  async get(id: string): Promise<Organization> {
    const organization = await this.#store.get(id);
    if (!organization) throw notFound(id);
    return organization;
  }

  list(): Promise<Organization[]> {
    return this.#store.list();
  }

  /** The connections an organization owns. */
  async connectionsOf(id: string): Promise<Connection[]> {
    return (await this.sp.stores.connections.list()).filter((c) => c.organizationId === id);
  }

  /** One organization as the admin API shows it. */
  async view(idOrOrganization: string | Organization): Promise<OrganizationView> {
    const organization =
      typeof idOrOrganization === 'string' ? await this.get(idOrOrganization) : idOrOrganization;
    return organizationView(organization, await this.sp.stores.connections.list());
  }

  /** Every organization as the admin API shows it. */
  async views(): Promise<OrganizationView[]> {
    const [all, connections] = await Promise.all([this.list(), this.sp.stores.connections.list()]);
    return all.map((o) => organizationView(o, connections));
  }

  /**
   * Creates an organization. Throws ADMIN_INVALID_REQUEST for a bad body, ORGANIZATION_EXISTS (409),
   * DOMAIN_INVALID, or DOMAIN_TAKEN (409) when another organization claims one of the domains.
   */
  async create(raw: CreateOrganizationInput, context: ChangeContext = {}): Promise<Organization> {
    const input = parseInput(createOrganizationSchema, raw);
    const now = this.#now().toISOString();
    const id = input.id ?? (await this.#newId(input.name));
    const organization: Organization = {
      id,
      name: input.name,
      domains: uniqueDomains(input.domains ?? []).map((domain) => pendingDomain(domain, now)),
      policy: { ...DEFAULT_ORGANIZATION_POLICY, ...input.policy },
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.#mutex.run(id, () => this.#write(() => this.#store.create(organization)));
    if (!created) throw exists(id);
    this.#logger.info('organization.created', { organizationId: id, actor: actorName(context) });
    await this.#record(context, 'organization.created', id, undefined, organization);
    return organization;
  }

  /** Changes name, domains (the full list) or policy (merged). */
  async update(id: string, raw: UpdateOrganizationInput, context: ChangeContext = {}): Promise<Organization> {
    const input = parseInput(updateOrganizationSchema, raw);
    return this.#change(id, context, 'organization.updated', (current, now) => {
      const next: Organization = {
        ...current,
        ...(input.name !== undefined ? { name: input.name } : {}),
        policy: { ...current.policy, ...input.policy },
      };
      if (input.domains !== undefined) {
        const wanted = uniqueDomains(input.domains);
        const kept = new Map(current.domains.map((d) => [d.domain, d]));
        next.domains = wanted.map((domain) => kept.get(domain) ?? pendingDomain(domain, now));
      }
      return next;
    });
  }

  /**
   * Removes an organization. Refused with ORGANIZATION_HAS_CONNECTIONS (409) while connections name it:
   * removing them silently with it would cut their users off, so the admin moves or removes them first.
   */
  async remove(id: string, context: ChangeContext = {}): Promise<void> {
    const before = await this.#mutex.run(id, async () => {
      const current = await this.get(id);
      const owned = await this.connectionsOf(id);
      if (owned.length > 0) {
        throw new AdminError(
          'ORGANIZATION_HAS_CONNECTIONS',
          `Organization "${id}" still owns ${owned.length === 1 ? 'connection' : 'connections'} ${owned.map((c) => `"${c.id}"`).join(', ')}.`,
          {
            hint: 'Remove those connections, or move them to another organization (PATCH the connection’s organizationId), then try again.',
            status: 409,
            details: { connections: owned.map((c) => c.id) },
          },
        );
      }
      if (!(await this.#store.delete(id))) throw notFound(id);
      return current;
    });
    this.#logger.info('organization.removed', { organizationId: id, actor: actorName(context) });
    await this.#record(context, 'organization.removed', id, before, undefined);
  }

  /** Claims one more domain (unverified). Adding a domain the organization already has changes nothing. */
  async addDomain(id: string, domain: string, context: ChangeContext = {}): Promise<Organization> {
    const name = domainOrThrow(domain);
    return this.#change(id, context, 'organization.domain_added', (current, now) =>
      current.domains.some((d) => d.domain === name)
        ? current
        : { ...current, domains: [...current.domains, pendingDomain(name, now)] },
    );
  }

  /** Gives up a domain; DOMAIN_NOT_FOUND (404) when the organization does not claim it. */
  async removeDomain(id: string, domain: string, context: ChangeContext = {}): Promise<Organization> {
    const name = domainOrThrow(domain);
    return this.#change(id, context, 'organization.domain_removed', (current) => {
      if (!current.domains.some((d) => d.domain === name)) throw domainNotFound(id, name);
      return { ...current, domains: current.domains.filter((d) => d.domain !== name) };
    });
  }

  /**
   * Verifies a domain by DNS: looks up its TXT challenge record and, when it carries this claim's value,
   * marks the domain verified (method `dns`). Throws DOMAIN_VERIFICATION_FAILED (422) with the record to
   * publish, DNS_UNAVAILABLE (503) when the resolver fails, DOMAIN_TAKEN (409) when another organization
   * holds it. Verifying an already verified domain checks the record again and refreshes `verifiedAt`.
   */
  async verifyDomain(id: string, domain: string, context: ChangeContext = {}): Promise<Organization> {
    const name = domainOrThrow(domain);
    const claim = (await this.get(id)).domains.find((d) => d.domain === name);
    if (!claim) throw domainNotFound(id, name);
    // The lookup runs outside the lock (it may take seconds); the write re-reads the organization under it.
    await checkDomainChallenge(this.#resolver, domainChallenge(claim));
    return this.#setVerified(id, name, 'dns', context, claim.verificationToken);
  }

  /**
   * Records the app admin's word that the organization controls `domain` (method `admin`, with the actor's
   * name and the time), for a customer who cannot publish a DNS record.
   */
  async markDomainVerified(id: string, domain: string, context: ChangeContext = {}): Promise<Organization> {
    return this.#setVerified(id, domain, 'admin', context);
  }

  async #setVerified(
    id: string,
    domain: string,
    method: 'dns' | 'admin',
    context: ChangeContext,
    checkedToken?: string,
  ): Promise<Organization> {
    const name = domainOrThrow(domain);
    return this.#change(id, context, 'organization.domain_verified', (current, now) => {
      const claim = current.domains.find((d) => d.domain === name);
      if (!claim) throw domainNotFound(id, name);
      // Removed and re-added while DNS was asked: the record we saw proves the old claim, not this one.
      if (checkedToken !== undefined && claim.verificationToken !== checkedToken)
        throw domainNotFound(id, name);
      return {
        ...current,
        domains: current.domains.map((d) =>
          d.domain === name
            ? {
                ...d,
                verified: true,
                verifiedAt: now,
                verificationMethod: method,
                verifiedBy: actorName(context),
              }
            : d,
        ),
      };
    });
  }

  /**
   * The organization a new connection joins when its creator named none: one of its own, with the
   * connection's id when that id is free as an organization id, and the connection's display name.
   */
  async createForConnection(
    connection: Pick<Connection, 'id' | 'displayName'>,
    context: ChangeContext = {},
  ): Promise<Organization> {
    const id = (await this.#store.get(connection.id)) ? await this.#newId(connection.id) : connection.id;
    return this.create({ id, name: connection.displayName }, context);
  }

  /**
   * Makes sure an organization with this id exists (the dev IdP's at startup), creating it with `name` if
   * not, and marks `seed.verifiedDomains` verified (method `admin`, by the context's actor) when it creates it,
   * or finds it as it was created and never changed (no domain, `updatedAt` = `createdAt`: the organization
   * migration 5 made for an existing dev connection). A domain another organization holds is skipped. An
   * organization an admin has changed is left alone, on every restart and any number of instances.
   */
  async ensure(
    id: string,
    name: string,
    context: ChangeContext = {},
    seed: { verifiedDomains?: string[] } = {},
  ): Promise<Organization> {
    const existing = await this.#store.get(id);
    const untouched = existing?.domains.length === 0 && existing.updatedAt === existing.createdAt;
    if (existing && !untouched) return existing;
    let organization: Organization;
    try {
      organization = existing ?? (await this.create({ id, name }, context));
    } catch (error) {
      // Another instance created it meanwhile.
      if (error instanceof AdminError && error.code === 'ORGANIZATION_EXISTS') return this.get(id);
      throw error;
    }
    for (const domain of seed.verifiedDomains ?? []) {
      try {
        await this.addDomain(id, domain, context);
        organization = await this.markDomainVerified(id, domain, context);
      } catch (error) {
        if (!(error instanceof AdminError && error.code === 'DOMAIN_TAKEN')) throw error;
        this.#logger.warn('organization.seed_domain_taken', { organizationId: id, domain });
      }
    }
    return organization;
  }

  /** Read-modify-write of one organization under its lock, with DOMAIN_TAKEN translated. */
  async #change(
    id: string,
    context: ChangeContext,
    event: string,
    change: (current: Organization, now: string) => Organization,
  ): Promise<Organization> {
    const { before, next } = await this.#mutex.run(id, async () => {
      const current = await this.get(id);
      const now = this.#now().toISOString();
      const changed = change(current, now);
      if (changed === current) return { before: current, next: current };
      const stored = { ...changed, updatedAt: now };
      await this.#write(() => this.#store.put(stored));
      return { before: current, next: stored };
    });
    this.#logger.info(event, { organizationId: id, actor: actorName(context) });
    if (next !== before) await this.#record(context, event, id, before, next);
    return next;
  }

  async #record(context: ChangeContext, action: string, id: string, before: unknown, after: unknown) {
    await this.#audit?.record({
      actor: context.actor,
      action,
      target: { type: 'organization', id },
      before,
      after,
    });
  }

  async #write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isDomainTaken(error)) {
        throw new AdminError('DOMAIN_TAKEN', error.message, {
          hint: 'A domain belongs to one organization only. Remove it from the other organization first, or use that organization.',
          status: 409,
          details: {
            domain: error.domain,
            ...(error.organizationId ? { organizationId: error.organizationId } : {}),
          },
          cause: error,
        });
      }
      throw error;
    }
  }

  #newId(base: string): Promise<string> {
    return freeId(base, 'org', async (id) => (await this.#store.get(id)) !== undefined);
  }
}

function pendingDomain(domain: string, now: string): OrganizationDomain {
  // 128 bits: unguessable, and short enough to paste into a DNS console.
  return {
    domain,
    verified: false,
    verificationToken: randomBytes(16).toString('base64url'),
    createdAt: now,
  };
}

function uniqueDomains(domains: string[]): string[] {
  return [...new Set(domains.map(domainOrThrow))];
}

function domainOrThrow(input: string): string {
  const domain = normalizeDomain(input);
  if (domain === undefined) {
    throw new AdminError('DOMAIN_INVALID', `"${input}" is not an email domain.`, {
      hint: 'Give the part after the @ of your users’ email addresses, e.g. example.com (no scheme, no path).',
    });
  }
  return domain;
}

function actorName(context: ChangeContext): string {
  return (context.actor ?? UNKNOWN_ACTOR).name;
}

function notFound(id: string): AdminError {
  return new AdminError('ORGANIZATION_NOT_FOUND', `There is no organization "${id}".`, {
    hint: 'List the organizations to see their ids.',
    status: 404,
  });
}

function exists(id: string): AdminError {
  return new AdminError('ORGANIZATION_EXISTS', `An organization "${id}" already exists.`, {
    hint: 'Choose another id, or change the existing organization (PATCH) instead.',
    status: 409,
  });
}

function domainNotFound(id: string, domain: string): AdminError {
  return new AdminError('DOMAIN_NOT_FOUND', `Organization "${id}" does not claim the domain "${domain}".`, {
    hint: 'Add the domain to the organization first.',
    status: 404,
  });
}
