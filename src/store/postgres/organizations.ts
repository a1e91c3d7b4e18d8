/**
 * Organizations in PostgreSQL: the whole organization as `jsonb` plus one row per claimed domain in
 * `organization_domains`, whose primary key makes a domain belong to one organization only, across every
 * instance.
 */
import type { Pool, PoolClient } from 'pg';
import type { Organization } from '../../core/organization.ts';
import { DomainTakenError, type OrganizationStore } from '../organizations.ts';

/** PostgreSQL's SQLSTATE for a unique-key violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * A PostgreSQL {@link OrganizationStore}. A write replaces the organization and its domain rows in one
 * transaction; a domain another organization holds (even one it claims at this very moment from another
 * instance) violates the primary key and rolls the write back with {@link DomainTakenError}.
 *
 * @example
 * ```ts
 * const organizations = new PostgresOrganizationStore(await openPostgresPool(process.env.DATABASE_URL));
 * ```
 */
export class PostgresOrganizationStore implements OrganizationStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async get(id: string): Promise<Organization | undefined> {
    const { rows } = await this.#pool.query<{ data: Organization }>(
      'SELECT data FROM organizations WHERE id = $1',
      [id],
    );
    return rows[0]?.data;
  }

  /** Sorted by id (byte order, like the SQLite adapter). */
  async list(): Promise<Organization[]> {
    const { rows } = await this.#pool.query<{ data: Organization }>(
      'SELECT data FROM organizations ORDER BY id COLLATE "C"',
    );
    return rows.map((row) => row.data);
  }

  async put(organization: Organization): Promise<void> {
    await this.#write(organization, false);
  }

  async create(organization: Organization): Promise<boolean> {
    return this.#write(organization, true);
  }

  async delete(id: string): Promise<boolean> {
    // Domain rows go with their organization (ON DELETE CASCADE).
    const { rowCount } = await this.#pool.query('DELETE FROM organizations WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async findByDomain(domain: string): Promise<Organization | undefined> {
    const { rows } = await this.#pool.query<{ data: Organization }>(
      `SELECT o.data FROM organization_domains d JOIN organizations o ON o.id = d.organization_id
       WHERE d.domain = $1`,
      [domain],
    );
    return rows[0]?.data;
  }

  async #write(organization: Organization, onlyIfAbsent: boolean): Promise<boolean> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      try {
        const written = await this.#writeIn(client, organization, onlyIfAbsent);
        await client.query(written ? 'COMMIT' : 'ROLLBACK');
        return written;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
          const domain = /\(domain\)=\((.*)\)/.exec(String((error as { detail?: unknown }).detail))?.[1];
          const owner = domain ? await this.#ownerOf(domain) : undefined;
          throw new DomainTakenError(domain ?? 'one of these domains', owner, { cause: error });
        }
        throw error;
      }
    } catch (error) {
      broken ||= (error as { code?: unknown }).code !== undefined && !(error instanceof DomainTakenError);
      throw error;
    } finally {
      // A connection that saw a driver error may be mid-transaction or broken: destroy it rather than pool it.
      client.release(broken);
    }
  }

  async #writeIn(client: PoolClient, organization: Organization, onlyIfAbsent: boolean): Promise<boolean> {
    const data = JSON.stringify(organization);
    const { rowCount } = await client.query(
      onlyIfAbsent
        ? 'INSERT INTO organizations (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING'
        : `INSERT INTO organizations (id, data) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
      [organization.id, data],
    );
    if (onlyIfAbsent && rowCount === 0) return false;
    const domains = organization.domains.map((d) => d.domain);
    await client.query(
      'DELETE FROM organization_domains WHERE organization_id = $1 AND NOT (domain = ANY($2))',
      [organization.id, domains],
    );
    await client.query(
      `INSERT INTO organization_domains (domain, organization_id) SELECT unnest($2::text[]), $1
       ON CONFLICT (domain) DO UPDATE SET organization_id = excluded.organization_id
       WHERE organization_domains.organization_id = excluded.organization_id`,
      [organization.id, domains],
    );
    // The conditional DO UPDATE leaves another organization's row alone and reports it as not written.
    const { rows } = await client.query<{ domain: string; organization_id: string }>(
      'SELECT domain, organization_id FROM organization_domains WHERE domain = ANY($1) AND organization_id <> $2',
      [domains, organization.id],
    );
    const taken = rows[0];
    if (taken) throw new DomainTakenError(taken.domain, taken.organization_id);
    return true;
  }

  async #ownerOf(domain: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ organization_id: string }>(
      'SELECT organization_id FROM organization_domains WHERE domain = $1',
      [domain],
    );
    return rows[0]?.organization_id;
  }
}
