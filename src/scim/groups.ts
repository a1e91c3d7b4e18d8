/**
 * SCIM Groups of one organization. Okta pushes a group's members as PATCH add/remove with member lists;
 * Entra ID sends them as PATCH batches (`"op": "Add", "path": "members", "value": [{ "value": id }, ...]`).
 * Members must be users (or groups) of the same organization: a member id from elsewhere is refused, so one
 * organization's token cannot place another organization's user in a group. A member change shows in `/me`
 * at the member's next request (src/scim/linking.ts reads groups live).
 */
import { randomUUID } from 'node:crypto';
import type { ChangeContext } from '../sp/change-context.ts';
import type { ScimGroupRow, ScimMember } from '../store/scim.ts';
import { type ScimServiceDeps, scimBase } from './context.ts';
import { readDocument } from './document.ts';
import { invalidValue, notFound, ScimError } from './errors.ts';
import { type ListQuery, listResources } from './list.ts';
import { applyPatch, readPatch } from './patch.ts';
import { groupDocument, renderGroup } from './resources.ts';
import { checkPrecondition, type Precondition, type Versioned } from './users.ts';

export class ScimGroups {
  readonly #d: ScimServiceDeps;
  readonly #now: () => Date;

  constructor(deps: ScimServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async create(organizationId: string, body: unknown, context: ChangeContext = {}): Promise<Versioned> {
    const doc = readGroup(body);
    const members = await this.#members(organizationId, doc, []);
    const now = this.#now();
    const row: ScimGroupRow = {
      id: randomUUID(),
      organizationId,
      displayName: doc.displayName as string,
      members,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (typeof doc.externalId === 'string') row.externalId = doc.externalId;
    if (!(await this.#d.scim.insertGroup(row))) throw taken(row.displayName);
    const resource = this.#render(row);
    await this.#d.onChange?.(
      { kind: 'group.created', organizationId, resourceId: row.id, resource, at: now },
      context,
    );
    return { resource, version: row.version };
  }

  async get(organizationId: string, id: string): Promise<Versioned> {
    const row = await this.#existing(organizationId, id);
    return { resource: this.#render(row), version: row.version };
  }

  async replace(
    organizationId: string,
    id: string,
    body: unknown,
    ifMatch: Precondition,
    context: ChangeContext = {},
  ): Promise<Versioned> {
    const doc = readGroup(body);
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
      (current) => readGroup(applyPatch(groupDocument(current), operations)),
      context,
    );
  }

  async delete(
    organizationId: string,
    id: string,
    ifMatch: Precondition,
    context: ChangeContext = {},
  ): Promise<void> {
    const row = await this.#existing(organizationId, id);
    checkPrecondition(ifMatch, row.version);
    if (!(await this.#d.scim.deleteGroup(organizationId, id))) throw notFound('Group', id);
    await this.#d.onChange?.(
      { kind: 'group.deleted', organizationId, resourceId: id, at: this.#now() },
      context,
    );
  }

  async list(
    organizationId: string,
    query: ListQuery,
  ): Promise<{ total: number; resources: Record<string, unknown>[] }> {
    const one = (row: ScimGroupRow | undefined) => (row ? [row] : []);
    return listResources(query, {
      lookups: {
        displayname: async (v) => one(await this.#d.scim.findGroupByDisplayName(organizationId, v)),
        externalid: (v) => this.#d.scim.findGroupsByExternalId(organizationId, v),
        id: async (v) => one(await this.#d.scim.getGroup(organizationId, v)),
      },
      page: (offset, limit) => this.#d.scim.listGroups(organizationId, { offset, limit }),
      render: async (rows) => rows.map((r) => this.#render(r)),
      noun: 'groups',
      advice: 'filter by displayName',
    });
  }

  async #update(
    organizationId: string,
    id: string,
    ifMatch: Precondition,
    change: (current: ScimGroupRow) => Record<string, unknown>,
    context: ChangeContext,
  ): Promise<Versioned> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.#existing(organizationId, id);
      checkPrecondition(ifMatch, current.version);
      const doc = change(current);
      const now = this.#now();
      const row: ScimGroupRow = {
        id,
        organizationId,
        displayName: doc.displayName as string,
        members: await this.#members(organizationId, doc, current.members),
        version: current.version + 1,
        createdAt: current.createdAt,
        updatedAt: now,
      };
      if (typeof doc.externalId === 'string') row.externalId = doc.externalId;
      if (await this.#d.scim.updateGroup(row)) {
        const resource = this.#render(row);
        await this.#d.onChange?.(
          { kind: 'group.updated', organizationId, resourceId: id, resource, at: now },
          context,
        );
        return { resource, version: row.version };
      }
      const clash = await this.#d.scim.findGroupByDisplayName(organizationId, row.displayName);
      if (clash && clash.id !== id) throw taken(row.displayName);
      if (ifMatch !== undefined || attempt >= 4) {
        throw new ScimError(412, 'The group changed while this request was applied; GET it again and retry.');
      }
    }
  }

  /**
   * The members of `doc`, each checked to be a user or group of this organization (only those not already
   * members are looked up, so a PATCH adding one member to a large group costs one lookup).
   */
  async #members(
    organizationId: string,
    doc: Record<string, unknown>,
    known: ScimMember[],
  ): Promise<ScimMember[]> {
    const given = Array.isArray(doc.members) ? (doc.members as Record<string, unknown>[]) : [];
    const before = new Map(known.map((m) => [m.value, m]));
    const out = new Map<string, ScimMember>();
    for (const m of given) {
      if (typeof m.value !== 'string') throw invalidValue('Every member needs a "value" (the member\'s id).');
      if (out.has(m.value)) continue;
      const type = m.type === 'Group' || m.type === 'User' ? m.type : undefined;
      const existing = before.get(m.value);
      const member: ScimMember = { value: m.value, type: type ?? existing?.type ?? 'User' };
      const display = typeof m.display === 'string' ? m.display : existing?.display;
      if (display !== undefined) member.display = display;
      if (!existing) await this.#checkMember(organizationId, member);
      out.set(m.value, member);
    }
    return [...out.values()];
  }

  async #checkMember(organizationId: string, member: ScimMember): Promise<void> {
    if (member.type === 'Group') {
      if (await this.#d.scim.getGroup(organizationId, member.value)) return;
    } else {
      const user = await this.#d.scim.getUser(organizationId, member.value);
      if (user && !user.deleted) return;
    }
    throw new ScimError(
      400,
      `Member ${JSON.stringify(member.value)} is no ${member.type ?? 'User'} of this organization's directory. Provision the user before adding them to a group.`,
      'invalidValue',
    );
  }

  async #existing(organizationId: string, id: string): Promise<ScimGroupRow> {
    const row = await this.#d.scim.getGroup(organizationId, id);
    if (!row) throw notFound('Group', id);
    return row;
  }

  #render(row: ScimGroupRow): Record<string, unknown> {
    return renderGroup(row, { base: scimBase(this.#d.baseUrl, row.organizationId) });
  }
}

function readGroup(body: unknown): Record<string, unknown> {
  const doc = readDocument(body, 'Group');
  if (typeof doc.displayName !== 'string') throw invalidValue('displayName is required.');
  return doc;
}

function taken(displayName: string): ScimError {
  return new ScimError(
    409,
    `A group named ${JSON.stringify(displayName)} already exists in this directory.`,
    'uniqueness',
  );
}
