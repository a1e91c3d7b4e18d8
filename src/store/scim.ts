/**
 * Storage of the SCIM 2.0 directory (src/scim): users, groups and bearer tokens, each scoped to one
 * organization. The SCIM attributes travel as one JSON document per resource; the columns a lookup needs
 * (userName, externalId, primary email, displayName) are kept beside it, indexed, so that
 * `filter=userName eq "x"` stays one index probe however large the directory grows.
 */

/** A SCIM user as stored. `resource` holds the client's attributes (no `id`, `meta`, `groups` or password). */
export interface ScimUserRow {
  /** The SCIM `id`; also the `id` of the SAML user record it is linked to (see src/scim/linking.ts). */
  id: string;
  organizationId: string;
  userName: string;
  externalId?: string;
  /** The primary (else first) email, the second key a SAML NameID may match. */
  email?: string;
  active: boolean;
  /**
   * A DELETEd user stays as a tombstone: SCIM answers 404 for it, and a SAML sign-in with its NameID is refused
   * as deprovisioned. A new POST with the same userName replaces the tombstone.
   */
  deleted: boolean;
  resource: Record<string, unknown>;
  /** Increases on every write: the ETag, and the optimistic-concurrency check of updates. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimMember {
  value: string;
  type?: 'User' | 'Group';
  display?: string;
}

export interface ScimGroupRow {
  id: string;
  organizationId: string;
  displayName: string;
  externalId?: string;
  members: ScimMember[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A SCIM bearer token. Only a hash of its secret is stored; the token itself is shown once at creation. */
export interface ScimTokenRow {
  id: string;
  organizationId: string;
  /** SHA-256 of the secret part, hex. */
  secretHash: string;
  name?: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

export interface Page<T> {
  total: number;
  rows: T[];
}

/**
 * Every method is scoped by organization id where a resource is read, so that a bug elsewhere cannot hand one
 * organization's users to another. Lists are in creation order.
 */
export interface ScimStore {
  /** Returns false when a user with the same userName (case-insensitively) exists in the organization. */
  insertUser(row: ScimUserRow): Promise<boolean>;
  /** Writes `row` if the stored version is `row.version - 1`; false when it changed meanwhile or is gone. */
  updateUser(row: ScimUserRow): Promise<boolean>;
  /** Removes the row itself (a tombstone being replaced). */
  purgeUser(organizationId: string, id: string): Promise<boolean>;
  /** Tombstones included. */
  getUser(organizationId: string, id: string): Promise<ScimUserRow | undefined>;
  /** Case-insensitive; tombstones included. */
  findUserByUserName(organizationId: string, userName: string): Promise<ScimUserRow | undefined>;
  /** Live users only. */
  findUsersByExternalId(organizationId: string, externalId: string): Promise<ScimUserRow[]>;
  /**
   * The user a SAML sign-in belongs to: userName or primary email equal (case-insensitively) to one of `keys`.
   * Tombstones included (a deleted user must be refused); a live user wins over a tombstone.
   */
  findUserForSignIn(organizationId: string, keys: string[]): Promise<ScimUserRow | undefined>;
  /** Live users, `offset` from 0. */
  listUsers(organizationId: string, range: { offset: number; limit: number }): Promise<Page<ScimUserRow>>;

  /** Returns false when a group with the same displayName (case-insensitively) exists in the organization. */
  insertGroup(row: ScimGroupRow): Promise<boolean>;
  /** As {@link updateUser}; false also when the new displayName is taken. */
  updateGroup(row: ScimGroupRow): Promise<boolean>;
  deleteGroup(organizationId: string, id: string): Promise<boolean>;
  getGroup(organizationId: string, id: string): Promise<ScimGroupRow | undefined>;
  findGroupByDisplayName(organizationId: string, displayName: string): Promise<ScimGroupRow | undefined>;
  findGroupsByExternalId(organizationId: string, externalId: string): Promise<ScimGroupRow[]>;
  /** The groups whose members include `memberId`. */
  groupsOfMember(organizationId: string, memberId: string): Promise<ScimGroupRow[]>;
  /** The groups of each of `memberIds` (one query for a list page), keyed by member id; members without groups are absent. */
  groupsOfMembers(organizationId: string, memberIds: string[]): Promise<Map<string, ScimGroupRow[]>>;
  listGroups(organizationId: string, range: { offset: number; limit: number }): Promise<Page<ScimGroupRow>>;

  insertToken(row: ScimTokenRow): Promise<void>;
  getToken(id: string): Promise<ScimTokenRow | undefined>;
  listTokens(organizationId: string): Promise<ScimTokenRow[]>;
  /** Returns false when the token is unknown or already revoked. */
  revokeToken(id: string, at: Date): Promise<boolean>;
  touchToken(id: string, at: Date): Promise<void>;
}

/**
 * The primary email of a SCIM user document, else its first: the second key a SAML NameID may match. Every
 * adapter and the service derive `ScimUserRow.email` with this one rule.
 */
export function primaryEmailOf(resource: Record<string, unknown>): string | undefined {
  const emails = Array.isArray(resource.emails)
    ? (resource.emails as { value?: unknown; primary?: unknown }[])
    : [];
  const chosen = emails.find((e) => e?.primary === true) ?? emails[0];
  return typeof chosen?.value === 'string' ? chosen.value : undefined;
}
