/**
 * Organizations in SQLite: the whole organization as JSON (new fields need no migration) plus one row per
 * claimed domain in `organization_domains`, whose primary key makes a domain belong to one organization only.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Organization } from '../../core/organization.ts';
import { DomainTakenError, type OrganizationStore } from '../organizations.ts';
import { changeCounter, counted } from './change-counters.ts';
import { text } from './database.ts';
import { writeTransaction } from './transaction.ts';

/**
 * A SQLite {@link OrganizationStore}. A write replaces the organization and its domain rows in one IMMEDIATE
 * transaction; a domain claimed by another organization rolls it back with {@link DomainTakenError}.
 *
 * @example
 * ```ts
 * const organizations = new SqliteOrganizationStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteOrganizationStore implements OrganizationStore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #exists: StatementSync;
  readonly #upsert: StatementSync;
  readonly #clearDomains: StatementSync;
  readonly #ownerOf: StatementSync;
  readonly #addDomain: StatementSync;
  readonly #delete: StatementSync;
  readonly #byDomain: StatementSync;
  readonly #version: () => number;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#version = changeCounter(db, 'organizations');
    this.#get = db.prepare('SELECT data FROM organizations WHERE id = ?');
    this.#list = db.prepare('SELECT data FROM organizations ORDER BY id');
    this.#exists = db.prepare('SELECT 1 AS found FROM organizations WHERE id = ?');
    this.#upsert = db.prepare(
      'INSERT INTO organizations (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
    );
    this.#clearDomains = db.prepare('DELETE FROM organization_domains WHERE organization_id = ?');
    this.#ownerOf = db.prepare('SELECT organization_id FROM organization_domains WHERE domain = ?');
    this.#addDomain = db.prepare('INSERT INTO organization_domains (domain, organization_id) VALUES (?, ?)');
    // Domain rows go with their organization (ON DELETE CASCADE).
    this.#delete = db.prepare('DELETE FROM organizations WHERE id = ?');
    this.#byDomain = db.prepare(
      `SELECT o.data FROM organization_domains d JOIN organizations o ON o.id = d.organization_id
       WHERE d.domain = ?`,
    );
  }

  async get(id: string): Promise<Organization | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : parse(row.data);
  }

  /** The version is the organizations' change counter (migration 15), read before the row. */
  async getIfChanged(
    id: string,
    version: string | undefined,
  ): Promise<{ organization: Organization; version: string } | 'unchanged' | undefined> {
    const counter = String(this.#version());
    if (counter === version) return 'unchanged';
    const row = this.#get.get(id);
    return row === undefined ? undefined : { organization: parse(row.data), version: counter };
  }

  async list(): Promise<Organization[]> {
    return this.#list.all().map((row) => parse(row.data));
  }

  async put(organization: Organization): Promise<void> {
    this.#write(organization, false);
  }

  async create(organization: Organization): Promise<boolean> {
    return this.#write(organization, true);
  }

  async delete(id: string): Promise<boolean> {
    return counted(() => Number(this.#delete.run(id).changes) > 0);
  }

  async findByDomain(domain: string): Promise<Organization | undefined> {
    const row = this.#byDomain.get(domain);
    return row === undefined ? undefined : parse(row.data);
  }

  /** Runs synchronously from BEGIN to COMMIT, so no other call on this connection can interleave. */
  #write(organization: Organization, onlyIfAbsent: boolean): boolean {
    return counted(() => this.#writeNow(organization, onlyIfAbsent));
  }

  #writeNow(organization: Organization, onlyIfAbsent: boolean): boolean {
    return writeTransaction(this.#db, () => {
      // Nothing written yet: committing this empty transaction is as good as rolling it back.
      if (onlyIfAbsent && this.#exists.get(organization.id) !== undefined) return false;
      this.#upsert.run(organization.id, JSON.stringify(organization));
      this.#clearDomains.run(organization.id);
      for (const { domain } of organization.domains) {
        const owner = this.#ownerOf.get(domain);
        if (owner !== undefined) throw new DomainTakenError(domain, text(owner.organization_id));
        this.#addDomain.run(domain, organization.id);
      }
      return true;
    });
  }
}

function parse(data: unknown): Organization {
  return JSON.parse(text(data)) as Organization;
}
