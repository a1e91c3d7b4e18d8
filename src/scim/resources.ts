/** Stored rows -> SCIM resources as the RFC shows them: schemas, id, attributes, meta (with a weak ETag). */
import type { ScimGroupRow, ScimUserRow } from '../store/scim.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema.ts';

type Json = Record<string, unknown>;

/** The weak ETag of a version (RFC 7644 §3.14). */
export function etag(version: number): string {
  return `W/"${version}"`;
}

export interface RenderContext {
  /** `${BASE_URL}/scim/v2/${organizationId}`: where `meta.location` and `$ref` point. */
  base: string;
}

export function renderUser(row: ScimUserRow, groups: ScimGroupRow[], ctx: RenderContext): Json {
  const schemas = [USER_SCHEMA];
  if (row.resource[ENTERPRISE_USER_SCHEMA] !== undefined) schemas.push(ENTERPRISE_USER_SCHEMA);
  return {
    schemas,
    id: row.id,
    ...row.resource,
    active: row.active,
    ...(groups.length > 0
      ? {
          groups: groups.map((g) => ({
            value: g.id,
            display: g.displayName,
            $ref: `${ctx.base}/Groups/${g.id}`,
            type: 'direct',
          })),
        }
      : {}),
    meta: meta('User', row, `${ctx.base}/Users/${row.id}`),
  };
}

export function renderGroup(row: ScimGroupRow, ctx: RenderContext): Json {
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.externalId !== undefined ? { externalId: row.externalId } : {}),
    displayName: row.displayName,
    members: row.members.map((m) => ({
      ...m,
      $ref: `${ctx.base}/${m.type === 'Group' ? 'Groups' : 'Users'}/${m.value}`,
    })),
    meta: meta('Group', row, `${ctx.base}/Groups/${row.id}`),
  };
}

/** The group as a PATCH works on it: its attributes without the read-only and derived ones. */
export function groupDocument(row: ScimGroupRow): Json {
  return {
    schemas: [GROUP_SCHEMA],
    ...(row.externalId !== undefined ? { externalId: row.externalId } : {}),
    displayName: row.displayName,
    members: row.members.map((m) => ({ ...m })),
  };
}

/** The user as a PATCH works on it. */
export function userDocument(row: ScimUserRow): Json {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    ...structuredClone(row.resource),
    active: row.active,
  };
}

function meta(
  resourceType: string,
  row: { createdAt: Date; updatedAt: Date; version: number },
  location: string,
) {
  return {
    resourceType,
    created: row.createdAt.toISOString(),
    lastModified: row.updatedAt.toISOString(),
    location,
    version: etag(row.version),
  };
}
