/**
 * SCIM Users of one organization (RFC 7644 §3.3-3.6): create, read, replace, patch, delete, list. Every write
 * bumps the version (the ETag), and a change of `active` is a lifecycle step, not just a field: deactivation
 * and deletion end the user's sessions at once (src/scim/linking.ts), and every write is reported to the
 * change listener (audit log, events).
 */
import { randomUUID } from 'node:crypto';
import type { ChangeContext } from '../sp/change-context.ts';
import { primaryEmailOf, type ScimGroupRow, type ScimUserRow } from '../store/scim.ts';
import type { ScimChange, ScimServiceDeps } from './context.ts';
import { scimBase } from './context.ts';
import { readDocument } from './document.ts';
import { invalidValue, notFound, ScimError } from './errors.ts';
import { endSessions, existingUserId } from './linking.ts';
import { type ListQuery, listResources } from './list.ts';
import { applyPatch, readPatch } from './patch.ts';
import { renderUser, userDocument } from './resources.ts';

/** A resource as the routes send it, with the version for the ETag header. */
export interface Versioned {
  resource: Record<string, unknown>;
  version: number;
}

/** An `If-Match` precondition (RFC 7644 §3.14): the weak or strong ETag the client last saw, or "*". */
export type Precondition = string | undefined;

export class ScimUsers {
  readonly #d: ScimServiceDeps;
  readonly #now: () => Date;

  constructor(deps: ScimServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async create(organizationId: string, body: unknown, context: ChangeContext = {}): Promise<Versioned> {
    const doc = readUser(body);
    const userName = doc.userName as string;
    const existing = await this.#d.scim.findUserByUserName(organizationId, userName);
    if (existing && !existing.deleted) throw taken(userName);
    // A DELETEd user's tombstone gives way to the new user of the same name.
    if (existing?.deleted) await this.#d.scim.purgeUser(organizationId, existing.id);
    const email = primaryEmailOf(doc);
    const connectionIds = await this.#d.organizations.connectionIds(organizationId);
    const signedIn = await existingUserId(
      this.#d.users,
      connectionIds,
      email ? [userName, email] : [userName],
    );
    const idFree =
      signedIn !== undefined && (await this.#d.scim.getUser(organizationId, signedIn)) === undefined;
    const now = this.#now();
    const row = toRow(doc, {
      id: idFree ? (signedIn as string) : randomUUID(),
      organizationId,
      deleted: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    if (!(await this.#d.scim.insertUser(row))) throw taken(userName);
    const resource = this.#renderWith(row, []); // a new user is in no group yet
    await this.#changed(
      { kind: 'user.provisioned', organizationId, resourceId: row.id, resource, at: now },
      context,
    );
    return { resource, version: row.version };
  }

  async get(organizationId: string, id: string): Promise<Versioned> {
    const row = await this.#live(organizationId, id);
    return { resource: await this.#render(row), version: row.version };
  }

  async replace(
    organizationId: string,
    id: string,
    body: unknown,
    ifMatch: Precondition,
    context: ChangeContext = {},
  ): Promise<Versioned> {
    const doc = readUser(body);
    return this.#update(organizationId, id, ifMatch, () => doc, context);
  }

  async patch(
    organizationId: string,
    id: string,
    body: unknown,
    ifMatch: Precondition,
    context: ChangeContext = {},
  ): Promise<Versioned> {
    const operations = readPatch(body);
    return this.#update(
      organizationId,
      id,
      ifMatch,
      (current) => readUser(applyPatch(userDocument(current), operations)),
      context,
    );
  }

  /** RFC 7644 §3.6; the user stays as a tombstone so that a SAML sign-in with their NameID is refused. */
  async delete(
    organizationId: string,
    id: string,
    ifMatch: Precondition,
    context: ChangeContext = {},
  ): Promise<void> {
    const current = await this.#live(organizationId, id, ifMatch);
    const now = this.#now();
    const row: ScimUserRow = {
      ...current,
      active: false,
      deleted: true,
      version: current.version + 1,
      updatedAt: now,
    };
    if (!(await this.#d.scim.updateUser(row))) throw changedMeanwhile();
    const sessionsEnded = await this.#endSessions(row, now);
    // RFC 7644 §3.6: a deleted resource leaves the groups it was in.
    for (const group of await this.#d.scim.groupsOfMember(organizationId, id)) {
      await this.#removeMember(group, id, now);
    }
    await this.#changed(
      { kind: 'user.deleted', organizationId, resourceId: id, sessionsEnded, at: now },
      context,
    );
  }

  async list(
    organizationId: string,
    query: ListQuery,
  ): Promise<{ total: number; resources: Record<string, unknown>[] }> {
    const live = (row: ScimUserRow | undefined) => (row && !row.deleted ? [row] : []);
    return listResources(query, {
      lookups: {
        username: async (v) => live(await this.#d.scim.findUserByUserName(organizationId, v)),
        externalid: (v) => this.#d.scim.findUsersByExternalId(organizationId, v),
        id: async (v) => live(await this.#d.scim.getUser(organizationId, v)),
      },
      page: (offset, limit) => this.#d.scim.listUsers(organizationId, { offset, limit }),
      render: (rows) => this.#renderAll(organizationId, rows),
      noun: 'users',
      advice: 'filter by userName or externalId',
    });
  }

  /**
   * Applies `change` to the stored user. Without If-Match, a concurrent write (another instance, Entra ID's
   * parallel requests) makes it read again and re-apply, up to a few times; with If-Match it is a 412.
   */
  async #update(
    organizationId: string,
    id: string,
    ifMatch: Precondition,
    change: (current: ScimUserRow) => Record<string, unknown>,
    context: ChangeContext,
  ): Promise<Versioned> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.#live(organizationId, id, ifMatch);
      const written = await this.#write(current, change(current), context);
      if (written) return written;
      if (ifMatch !== undefined || attempt >= 4) throw changedMeanwhile();
    }
  }

  async #write(
    current: ScimUserRow,
    doc: Record<string, unknown>,
    context: ChangeContext,
  ): Promise<Versioned | undefined> {
    const now = this.#now();
    const { organizationId } = current;
    const userName = doc.userName as string;
    if (userName.toLowerCase() !== current.userName.toLowerCase()) {
      const clash = await this.#d.scim.findUserByUserName(organizationId, userName);
      if (clash && !clash.deleted) throw taken(userName);
      if (clash?.deleted) await this.#d.scim.purgeUser(organizationId, clash.id);
    }
    const row = toRow(doc, {
      id: current.id,
      organizationId,
      deleted: false,
      version: current.version + 1,
      createdAt: current.createdAt,
      updatedAt: now,
    });
    if (!(await this.#d.scim.updateUser(row))) return undefined;
    const resource = await this.#render(row);
    const change: ScimChange = {
      kind: 'user.updated',
      organizationId,
      resourceId: row.id,
      resource,
      at: now,
    };
    if (current.active && !row.active) {
      change.kind = 'user.deactivated';
      change.sessionsEnded = await this.#endSessions(row, now);
    } else if (!current.active && row.active) {
      change.kind = 'user.reactivated';
    }
    await this.#changed(change, context);
    return { resource, version: row.version };
  }

  async #endSessions(row: ScimUserRow, now: Date): Promise<number> {
    const connectionIds = await this.#d.organizations.connectionIds(row.organizationId);
    return endSessions(this.#d, connectionIds, row, now);
  }

  async #removeMember(group: ScimGroupRow, memberId: string, now: Date): Promise<void> {
    // Retried on a concurrent group write: losing this removal would leave a dangling member.
    for (let attempt = 0; attempt < 3; attempt++) {
      const fresh = attempt === 0 ? group : await this.#d.scim.getGroup(group.organizationId, group.id);
      if (!fresh) return;
      const members = fresh.members.filter((m) => m.value !== memberId);
      if (await this.#d.scim.updateGroup({ ...fresh, members, version: fresh.version + 1, updatedAt: now }))
        return;
    }
  }

  async #live(organizationId: string, id: string, ifMatch?: Precondition): Promise<ScimUserRow> {
    const row = await this.#d.scim.getUser(organizationId, id);
    if (!row || row.deleted) throw notFound('User', id);
    checkPrecondition(ifMatch, row.version);
    return row;
  }

  async #render(row: ScimUserRow): Promise<Record<string, unknown>> {
    return this.#renderWith(row, await this.#d.scim.groupsOfMember(row.organizationId, row.id));
  }

  /** A page of users with their groups read in one query. */
  async #renderAll(organizationId: string, rows: ScimUserRow[]): Promise<Record<string, unknown>[]> {
    const groups = await this.#d.scim.groupsOfMembers(
      organizationId,
      rows.map((r) => r.id),
    );
    return rows.map((r) => this.#renderWith(r, groups.get(r.id) ?? []));
  }

  #renderWith(row: ScimUserRow, groups: ScimGroupRow[]): Record<string, unknown> {
    return renderUser(row, groups, { base: scimBase(this.#d.baseUrl, row.organizationId) });
  }

  async #changed(change: ScimChange, context: ChangeContext): Promise<void> {
    await this.#d.onChange?.(change, context);
  }
}

/** Throws 412 when an If-Match names another version (RFC 7644 §3.14). */
export function checkPrecondition(ifMatch: Precondition, version: number): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!wanted.includes(`"${version}"`)) {
    throw new ScimError(
      412,
      `The resource is at version W/"${version}", not ${ifMatch}. GET it again and retry.`,
    );
  }
}

function readUser(body: unknown): Record<string, unknown> {
  const doc = readDocument(body, 'User');
  if (typeof doc.userName !== 'string') throw invalidValue('userName is required.');
  return doc;
}

function toRow(
  doc: Record<string, unknown>,
  fixed: Pick<ScimUserRow, 'id' | 'organizationId' | 'deleted' | 'version' | 'createdAt' | 'updatedAt'>,
): ScimUserRow {
  const { active, ...resource } = doc;
  const row: ScimUserRow = {
    ...fixed,
    userName: doc.userName as string,
    active: active === undefined ? true : active === true,
    resource,
  };
  if (typeof doc.externalId === 'string') row.externalId = doc.externalId;
  const email = primaryEmailOf(doc);
  if (email !== undefined) row.email = email;
  return row;
}

function taken(userName: string): ScimError {
  return new ScimError(
    409,
    `A user with userName ${JSON.stringify(userName)} already exists in this directory.`,
    'uniqueness',
  );
}

function changedMeanwhile(): ScimError {
  return new ScimError(412, 'The resource changed while this request was applied; GET it again and retry.');
}
