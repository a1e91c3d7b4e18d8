/** Organizations in process memory: for tests and `DATABASE_URL=memory:`. */
import type { Organization } from '../../core/organization.ts';
import { DomainTakenError, type OrganizationStore } from '../organizations.ts';

/**
 * An in-process {@link OrganizationStore}: copies in and out, and the same domain uniqueness as the SQL
 * adapters (checked and written in one synchronous step, so concurrent calls cannot interleave).
 *
 * @example
 * ```ts
 * const organizations = new MemoryOrganizationStore();
 * await organizations.put(organization);
 * ```
 */
export class MemoryOrganizationStore implements OrganizationStore {
  readonly #organizations = new Map<string, Organization>();
  /** domain -> organization id */
  readonly #domains = new Map<string, string>();
  /** Bumped at every write: the version getIfChanged compares. */
  #writes = 0;

  async get(id: string): Promise<Organization | undefined> {
    const organization = this.#organizations.get(id);
    return organization === undefined ? undefined : structuredClone(organization);
  }

  async getIfChanged(
    id: string,
    version: string | undefined,
  ): Promise<{ organization: Organization; version: string } | 'unchanged' | undefined> {
    const organization = this.#organizations.get(id);
    if (organization === undefined) return undefined;
    const current = String(this.#writes);
    return current === version
      ? 'unchanged'
      : { organization: structuredClone(organization), version: current };
  }

  async list(): Promise<Organization[]> {
    return [...this.#organizations.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((o) => structuredClone(o));
  }

  async put(organization: Organization): Promise<void> {
    this.#write(organization);
  }

  async create(organization: Organization): Promise<boolean> {
    if (this.#organizations.has(organization.id)) return false;
    this.#write(organization);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    const existing = this.#organizations.get(id);
    if (existing === undefined) return false;
    for (const d of existing.domains) this.#domains.delete(d.domain);
    this.#organizations.delete(id);
    this.#writes += 1;
    return true;
  }

  async findByDomain(domain: string): Promise<Organization | undefined> {
    const id = this.#domains.get(domain);
    return id === undefined ? undefined : this.get(id);
  }

  #write(organization: Organization): void {
    for (const { domain } of organization.domains) {
      const owner = this.#domains.get(domain);
      if (owner !== undefined && owner !== organization.id) throw new DomainTakenError(domain, owner);
    }
    const previous = this.#organizations.get(organization.id);
    for (const d of previous?.domains ?? []) this.#domains.delete(d.domain);
    for (const d of organization.domains) this.#domains.set(d.domain, organization.id);
    this.#organizations.set(organization.id, structuredClone(organization));
    this.#writes += 1;
  }
}
