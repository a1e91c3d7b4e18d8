/**
 * Attribute-mapping presets: for each IdP family, the attribute Names each local field is read from, in order.
 * Source: shared/research/idp-realities.md §3. Names are exact and case-sensitive, as the IdPs send them.
 * Presets are defaults, not rules: a connection's `attributeMapping` replaces any field's list.
 */
import { InvalidOptionError } from '../errors.ts';
import type { AttributeMapping, MappedField, PresetName } from '../types.ts';

/** Claim URIs of Microsoft Entra ID and AD FS (WS-Federation claim types used as SAML attribute Names). */
export const CLAIMS = {
  emailAddress: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  /** Entra: the UPN, not a display name. ADFS: whatever a claim rule puts there. */
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  entraDisplayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  entraObjectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  entraTenantId: 'http://schemas.microsoft.com/identity/claims/tenantid',
  /** Entra: group object IDs (GUIDs), not names. */
  entraGroups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  /** Sent by Entra instead of the groups claim when the user is in more than 150 groups. */
  entraGroupsOverage: 'http://schemas.microsoft.com/claims/groups.link',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  adfsGroup: 'http://schemas.xmlsoap.org/claims/Group',
  adfsCommonName: 'http://schemas.xmlsoap.org/claims/CommonName',
} as const;

/** LDAP/X.500 attribute OIDs (the urn:oid NameFormat some generic IdPs use). */
export const OIDS = {
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
} as const;

/** A preset: the mapping plus what the mapper needs to know about the IdP's fallbacks. */
export type Preset = AttributeMapping & {
  /**
   * The field that stays stable when a user is renamed, if the IdP has one. Email is never it (Okta, Google
   * and Entra UPNs change on rename), so linking accounts by email needs an explicit admin opt-in.
   */
  immutableField?: 'externalId';
  /**
   * Attributes holding a UPN: used as the email only when nothing in `email` matched and the value looks like
   * an address, always with a warning (a UPN is not necessarily a mailbox).
   */
  upnAttributes?: string[];
  /**
   * Take the email from the NameID when it looks like an address even if its Format is not emailAddress
   * (Google's NameID is the primary email, often sent as `unspecified`). An emailAddress-format NameID is
   * always a fallback, for every preset.
   */
  nameIdIsEmail?: boolean;
  /** What an admin should know when choosing this preset. */
  notes?: string;
};

/** The built-in presets. Frozen: copy a list before changing it. */
export const PRESETS: Readonly<Record<PresetName, Readonly<Preset>>> = deepFreeze({
  keycloak: {
    email: ['email'],
    firstName: ['firstName'],
    lastName: ['lastName'],
    groups: ['groups'],
    externalId: ['externalId'],
    immutableField: 'externalId',
    notes:
      'Matches the dev realm: user-property mappers named email, firstName, lastName, externalId (user id) and a ' +
      'group-membership mapper named groups with full.path=false. displayName is derived from first and last name.',
  },
  okta: {
    email: ['email'],
    firstName: ['firstName'],
    lastName: ['lastName'],
    displayName: ['displayName'],
    groups: ['groups'],
    immutableField: 'externalId',
    notes:
      'Add attribute statements email, firstName, lastName, displayName and a group attribute statement groups. ' +
      'Choose a persistent Name ID format for a stable externalId; email changes when the user is renamed.',
  },
  entra: {
    email: [CLAIMS.emailAddress],
    firstName: [CLAIMS.givenName],
    lastName: [CLAIMS.surname],
    displayName: [CLAIMS.entraDisplayName],
    groups: [CLAIMS.entraGroups, CLAIMS.role],
    externalId: [CLAIMS.entraObjectId],
    immutableField: 'externalId',
    upnAttributes: [CLAIMS.name],
    notes:
      'Groups arrive as object IDs (GUIDs), not names; above 150 groups Entra sends groups.link instead and the ' +
      'groups are unknown. The claims/name claim is the UPN, not a display name: add the displayname claim ' +
      'for one. The object ID is unique within the tenant this connection trusts.',
  },
  adfs: {
    email: [CLAIMS.emailAddress],
    firstName: [CLAIMS.givenName],
    lastName: [CLAIMS.surname],
    displayName: [CLAIMS.adfsCommonName, CLAIMS.name],
    groups: [CLAIMS.adfsGroup, CLAIMS.role],
    immutableField: 'externalId',
    upnAttributes: [CLAIMS.upn],
    notes:
      'AD FS sends no NameID unless a claim rule issues one: issue a persistent Name ID for a stable externalId. ' +
      'Send LDAP attributes as claims with "Send LDAP Attributes as Claims" rules.',
  },
  google: {
    email: ['email'],
    firstName: ['firstName'],
    lastName: ['lastName'],
    groups: ['groups'],
    nameIdIsEmail: true,
    notes:
      'Map Primary email to email, First name to firstName, Last name to lastName, and group membership ' +
      '(at most 75 groups) to groups. Google offers no immutable ID: the NameID is the primary email and ' +
      'changes when the user is renamed.',
  },
  generic: {
    email: ['email', 'Email', 'mail', OIDS.mail],
    firstName: ['firstName', 'FirstName', 'givenName', OIDS.givenName],
    lastName: ['lastName', 'LastName', 'sn', 'surname', OIDS.surname],
    displayName: ['displayName', 'name'],
    groups: ['groups', 'memberOf', 'member'],
    immutableField: 'externalId',
    notes: 'Common attribute names of OneLogin, JumpCloud, PingFederate and LDAP-profile IdPs.',
  },
});

const MAPPED_FIELDS: readonly MappedField[] = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'groups',
  'externalId',
];

/**
 * The effective mapping of a connection: each field's list comes from `overrides` when it names the field
 * (an empty list switches the field off), else from the preset. Every field is present in the result.
 *
 * @example
 * ```ts
 * resolveMapping('okta', { email: ['mail'] }).email; // ['mail']
 * resolveMapping('okta', {}).email; // ['email']
 * ```
 */
export function resolveMapping(preset: PresetName, overrides: AttributeMapping): Required<AttributeMapping> {
  const base = getPreset(preset);
  const resolved = {} as Required<AttributeMapping>;
  for (const field of MAPPED_FIELDS) resolved[field] = [...(overrides[field] ?? base[field] ?? [])];
  return resolved;
}

/**
 * The preset named `name`. Throws for an unknown name (a stored connection from a newer version, say)
 * rather than mapping nothing.
 *
 * @example
 * ```ts
 * getPreset('entra').upnAttributes; // ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']
 * ```
 */
export function getPreset(name: PresetName): Readonly<Preset> {
  const preset = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (preset === undefined) {
    throw new InvalidOptionError(
      `Unknown attribute-mapping preset "${String(name)}"; use one of ${Object.keys(PRESETS).join(', ')}`,
    );
  }
  return preset;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
