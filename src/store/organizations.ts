/**
 * Organizations (customers) and the email domains they claim. The store keeps each organization as one
 * document plus an index of its domains, so that a domain belongs to one organization only, enforced by the
 * database (a unique key) rather than by a read-then-write that two instances could race through.
 */
import type { Organization } from '../core/organization.ts';

export interface OrganizationStore {
  get(id: string): Promise<Organization | undefined>;
  /** Sorted by id. */
  list(): Promise<Organization[]>;
  /**
   * Insert or replace by id, with its domains. Throws {@link DomainTakenError} when one of its domains is
   * claimed by another organization (nothing is written then).
   */
  put(organization: Organization): Promise<void>;
  /**
   * Insert only: false (and nothing written) when an organization with this id exists. Startup code that
   * "makes sure an organization exists" uses it, so that it never overwrites an admin's later edits.
   * Throws {@link DomainTakenError} like `put`.
   */
  create(organization: Organization): Promise<boolean>;
  /** Removes the organization and its domains; false when there was nothing to delete. */
  delete(id: string): Promise<boolean>;
  /** The organization that claims `domain` (already normalized: lower-case ASCII), verified or not. */
  findByDomain(domain: string): Promise<Organization | undefined>;
  /**
   * The organization, unless it is unchanged since `version` (the version an earlier call returned): then
   * `'unchanged'`; undefined when there is no such organization. Like `ConnectionStore.getIfChanged`: the
   * ACS keeps the parsed organization and asks this at every sign-in, so an edit on any instance applies at
   * the next one. Optional: without it the ACS reads `get` each time.
   */
  getIfChanged?(
    id: string,
    version: string | undefined,
  ): Promise<{ organization: Organization; version: string } | 'unchanged' | undefined>;
}

/**
 * A domain is already claimed by another organization. Thrown by every adapter's `put`/`create`; the
 * organization service turns it into the admin error `DOMAIN_TAKEN` (409).
 */
export class DomainTakenError extends Error {
  override readonly name = 'DomainTakenError';
  readonly code = 'DOMAIN_TAKEN';
  readonly domain: string;
  /** The organization that holds the domain, when the adapter could tell. */
  readonly organizationId: string | undefined;

  constructor(domain: string, organizationId?: string, options?: { cause?: unknown }) {
    super(
      `The domain "${domain}" already belongs to ${organizationId ? `organization "${organizationId}"` : 'another organization'}.`,
      options,
    );
    this.domain = domain;
    this.organizationId = organizationId;
  }
}

export function isDomainTaken(value: unknown): value is DomainTakenError {
  return value instanceof DomainTakenError;
}
