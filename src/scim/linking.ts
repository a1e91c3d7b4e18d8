/**
 * Where a SCIM user and a SAML sign-in meet (issue #14, section 4), and how deprovisioning reaches sessions.
 *
 * The matching key, per organization: the SAML NameID (or, failing that, the asserted email) equals the SCIM
 * `userName` or the SCIM user's primary email, compared case-insensitively. That covers the vendors' defaults:
 * - Okta: the app's SCIM `userName` is the Okta username, and the default SAML NameID ("Okta username",
 *   format unspecified or emailAddress) is the same value. Okta treats usernames case-insensitively.
 * - Entra ID: the default attribute mapping sends `userPrincipalName` as `userName`, and the default SAML
 *   NameID is `user.userprincipalname` (or `user.mail`, which then meets the SCIM `emails[type eq "work"]`).
 *   Entra ID compares UPNs case-insensitively.
 * - Anything else (Keycloak, Google, the dev IdP): configure the IdP so that the NameID or the email
 *   attribute carries the SCIM userName or email.
 *
 * One user, either way: a user record created by a sign-in after SCIM provisioned the user takes the SCIM
 * `id` as its own id; a SCIM user created after the person signed in takes the existing user record's id.
 * So `/me`'s `id` and the SCIM `id` are the same string, and a session's user is found from either side.
 */
import { SamlSpError } from '../core/errors.ts';
import type { UserRecord } from '../core/types.ts';
import { ConnectionCache } from '../sp/connection-cache.ts';
import type { SignInFacts } from '../sp/service-provider.ts';
import type { UserDirectory } from '../sp/user-directory.ts';
import { withConfigSnapshot } from '../store/config-snapshot.ts';
import type { ScimStore, ScimUserRow, SessionStore, Stores, UserStore } from '../store/types.ts';
import type { OrganizationDirectory } from './organizations.ts';

export interface LinkingOptions {
  stores: Pick<Stores, 'connections' | 'users' | 'sessions'>;
  scim: ScimStore;
  organizations: OrganizationDirectory;
  now?: () => Date;
}

/** The SCIM side of sign-in, as the ServiceProvider's {@link UserDirectory}. */
export class ScimUserLinks implements UserDirectory {
  readonly #o: LinkingOptions;
  /** `current` runs at every session read (`/me`): the connection is kept parsed between them (frozen). */
  readonly #connections: ConnectionCache;

  constructor(options: LinkingOptions) {
    this.#o = options;
    this.#connections = new ConnectionCache(options.stores.connections);
  }

  async admit(facts: SignInFacts): Promise<{ userId?: string }> {
    const organizationId = await this.#o.organizations.organizationOf(facts.connection);
    if (organizationId === undefined) return {};
    const keys = signInKeys(facts.assertion.nameId.value, facts.profile.email);
    const row = await this.#o.scim.findUserForSignIn(organizationId, keys);
    if (row === undefined) {
      // Policy scimOnly: no JIT, only users the directory provisioned (and keeps active: checked below).
      if (await this.#o.organizations.scimOnly(organizationId)) {
        throw new SamlSpError(
          'SAML_USER_NOT_PROVISIONED',
          `No user of organization "${organizationId}" has userName or email ${keys.map((k) => JSON.stringify(k)).join(' or ')}.`,
          {
            status: 403,
            hint: 'This organization accepts only users its directory provisioned over SCIM. Assign the user to the app in the IdP (Okta: Assignments; Entra ID: Users and groups) and wait for the provisioning cycle, or check that the SAML NameID carries the SCIM userName.',
            details: { organizationId, nameId: facts.assertion.nameId.value },
          },
        );
      }
      return {};
    }
    if (row.deleted || !row.active) throw deprovisioned(organizationId, row);
    // The record may already exist under another id (the same person through a second connection): keep that.
    const owner = await this.#o.stores.users.get(row.id);
    const sameUser =
      owner === undefined ||
      (owner.connectionId === facts.connection.id && owner.nameId === facts.assertion.nameId.value);
    return sameUser ? { userId: row.id } : {};
  }

  /**
   * The user as the directory has them now; undefined when it deprovisioned them. Runs at every session read:
   * its questions (the connection changed? the directory changed?) share one read of the change counters.
   */
  current(user: UserRecord): Promise<UserRecord | undefined> {
    return withConfigSnapshot(() => this.#current(user));
  }

  async #current(user: UserRecord): Promise<UserRecord | undefined> {
    const found = await this.#scimUserOf(user);
    if (found === undefined) return user;
    const { organizationId, row } = found;
    if (row.deleted || !row.active) return undefined;
    // Once a directory pushes groups, it is the truth about them: its groups replace the asserted ones (so a
    // removal shows at once); a directory that pushes users only leaves the asserted groups in place.
    const { total } = await this.#o.scim.listGroups(organizationId, { offset: 0, limit: 0 });
    if (total === 0) return user;
    const groups = await this.#o.scim.groupsOfMember(organizationId, row.id);
    return { ...user, groups: groups.map((g) => g.displayName) };
  }

  async #scimUserOf(user: UserRecord): Promise<{ organizationId: string; row: ScimUserRow } | undefined> {
    const connection = await this.#connections.get(user.connectionId);
    if (connection === undefined) return undefined;
    const organizationId = await this.#o.organizations.organizationOf(connection);
    if (organizationId === undefined) return undefined;
    const row = await this.#o.scim.findUserForSignIn(organizationId, signInKeys(user.nameId, user.email));
    return row && { organizationId, row };
  }
}

/**
 * The id a SCIM user created now should get: the id of a user who already signed in through one of the
 * organization's connections with this userName or email as NameID, else undefined (a new id).
 */
export async function existingUserId(
  users: UserStore,
  connectionIds: string[],
  keys: string[],
): Promise<string | undefined> {
  const variants = [...new Set(keys.flatMap((k) => [k, k.toLowerCase()]))];
  for (const connectionId of connectionIds) {
    for (const nameId of variants) {
      const user = await users.findByNameId(connectionId, nameId);
      if (user) return user.id;
    }
  }
  return undefined;
}

/**
 * Ends every live session of a deprovisioned user across the organization's connections; returns how many.
 * Sessions are indexed by (connection, NameID), so this tries the NameIDs the user can have signed in with:
 * the linked user record's, the userName and the email. (Should one be missed, the session still ends at its
 * next request: {@link ScimUserLinks.current} refuses a deactivated user.)
 */
export async function endSessions(
  stores: { users: UserStore; sessions: SessionStore },
  connectionIds: string[],
  row: ScimUserRow,
  now: Date,
): Promise<number> {
  const linked = await stores.users.get(row.id);
  const nameIds = new Set<string>([row.userName, row.userName.toLowerCase()]);
  if (row.email) nameIds.add(row.email).add(row.email.toLowerCase());
  if (linked) nameIds.add(linked.nameId);
  let ended = 0;
  for (const connectionId of connectionIds) {
    for (const nameId of nameIds) {
      for (const session of await stores.sessions.findByNameId(connectionId, nameId, undefined, now)) {
        if (await stores.sessions.delete(session.id)) ended++;
      }
    }
  }
  return ended;
}

function signInKeys(nameId: string, email: string | undefined): string[] {
  return email && email !== nameId ? [nameId, email] : [nameId];
}

function deprovisioned(organizationId: string, row: ScimUserRow): SamlSpError {
  const state = row.deleted ? 'removed' : 'deactivated';
  return new SamlSpError(
    'SAML_USER_DEPROVISIONED',
    `User "${row.userName}" of organization "${organizationId}" was ${state} by the organization's directory (SCIM).`,
    {
      status: 403,
      hint: "The customer's IdP deprovisioned this user over SCIM. If that is a mistake, reactivate or reassign the user in the IdP (Okta: activate and assign; Entra ID: enable the account or re-add it to the app); the next provisioning cycle sets active:true and sign-in works again.",
      details: { organizationId, scimUserId: row.id, state },
    },
  );
}
