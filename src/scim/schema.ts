/**
 * The SCIM schemas this service speaks (RFC 7643 §4 and §8.7.1): the core User, the enterprise extension and
 * the Group, as attribute definitions. One table serves two purposes, so they cannot drift apart: the
 * `/Schemas` documents are rendered from it, and every incoming document is checked against it.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime' | 'integer';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  description: string;
  multiValued?: boolean;
  required?: boolean;
  /** RFC 7643 §2.2: string comparison (filters, uniqueness) is case-insensitive unless this is true. */
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

const str = (
  name: string,
  description: string,
  extra: Partial<AttributeDefinition> = {},
): AttributeDefinition => ({
  name,
  type: 'string',
  description,
  ...extra,
});
const bool = (name: string, description: string): AttributeDefinition => ({
  name,
  type: 'boolean',
  description,
});

/** The sub-attributes RFC 7643 gives most multi-valued attributes (emails, phoneNumbers, ims, photos, ...). */
function plural(name: string, description: string, value: AttributeDefinition = str('value', 'The value.')) {
  return {
    name,
    type: 'complex',
    multiValued: true,
    description,
    subAttributes: [
      value,
      str('display', 'A human-readable name.'),
      str('type', 'A label such as "work" or "home".'),
      bool('primary', 'The preferred value; at most one is true.'),
    ],
  } satisfies AttributeDefinition;
}

export const USER_ATTRIBUTES: readonly AttributeDefinition[] = [
  str('userName', 'Unique identifier of the user in this directory; matched to the SAML NameID.', {
    required: true,
    uniqueness: 'server',
  }),
  {
    name: 'name',
    type: 'complex',
    description: "The components of the user's name.",
    subAttributes: [
      str('formatted', 'The full name.'),
      str('familyName', 'The family (last) name.'),
      str('givenName', 'The given (first) name.'),
      str('middleName', 'The middle name(s).'),
      str('honorificPrefix', 'Honorific prefix, e.g. "Ms.".'),
      str('honorificSuffix', 'Honorific suffix, e.g. "III".'),
    ],
  },
  str('displayName', 'The name shown to end users.'),
  str('nickName', 'The casual name.'),
  { name: 'profileUrl', type: 'reference', referenceTypes: ['external'], description: 'Profile page URL.' },
  str('title', 'Job title.'),
  str('userType', 'Relationship to the organization, e.g. "Employee".'),
  str('preferredLanguage', 'Preferred written or spoken language.'),
  str('locale', 'Default location for localisation.'),
  str('timezone', 'Time zone, in the IANA format.'),
  bool('active', 'Whether the user may sign in. false ends their sessions and refuses SAML sign-in.'),
  str('password', 'Never stored and never returned: sign-in is by SAML.', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  plural('emails', 'Email addresses.'),
  plural('phoneNumbers', 'Phone numbers.'),
  plural('ims', 'Instant messaging addresses.'),
  plural('photos', 'Photo URLs.'),
  {
    name: 'addresses',
    type: 'complex',
    multiValued: true,
    description: 'Physical mailing addresses.',
    subAttributes: [
      str('formatted', 'The full address.'),
      str('streetAddress', 'Street.'),
      str('locality', 'City.'),
      str('region', 'State or region.'),
      str('postalCode', 'Postal code.'),
      str('country', 'Country (ISO 3166-1 alpha-2).'),
      str('type', 'A label such as "work".'),
      bool('primary', 'The preferred address.'),
    ],
  },
  {
    ...plural('groups', "The groups the user belongs to (read-only: change a Group's members instead)."),
    mutability: 'readOnly',
  },
  plural('entitlements', 'Entitlements.'),
  plural('roles', 'Roles.'),
  plural('x509Certificates', 'X.509 certificates (base64 DER).'),
];

export const ENTERPRISE_USER_ATTRIBUTES: readonly AttributeDefinition[] = [
  str('employeeNumber', 'Numeric or alphanumeric employee identifier.'),
  str('costCenter', 'Cost center.'),
  str('organization', 'Organization.'),
  str('division', 'Division.'),
  str('department', 'Department.'),
  {
    name: 'manager',
    type: 'complex',
    description: "The user's manager.",
    subAttributes: [
      str('value', 'The id of the manager.'),
      { name: '$ref', type: 'reference', referenceTypes: ['User'], description: 'URI of the manager.' },
      str('displayName', "The manager's display name.", { mutability: 'readOnly' }),
    ],
  },
];

export const GROUP_ATTRIBUTES: readonly AttributeDefinition[] = [
  str('displayName', 'The group name, unique in this directory; shown as a group in /me.', {
    required: true,
    uniqueness: 'server',
  }),
  {
    name: 'members',
    type: 'complex',
    multiValued: true,
    description: 'The members of the group.',
    subAttributes: [
      str('value', 'The id of the member.', { mutability: 'immutable' }),
      {
        name: '$ref',
        type: 'reference',
        referenceTypes: ['User', 'Group'],
        description: 'URI of the member.',
      },
      str('type', 'User or Group.', { mutability: 'immutable' }),
      str('display', 'The name of the member.', { mutability: 'immutable' }),
    ],
  },
];

/** The attributes every resource has (RFC 7643 §3.1); `id` and `externalId` are case-exact. */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  str('id', 'Unique, stable identifier assigned by this service.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', "The client's own identifier (Entra ID's immutable key).", { caseExact: true }),
];

/** Attribute names that are case-exact, by lower-cased dotted path (filters compare the others case-insensitively). */
export const CASE_EXACT_PATHS: ReadonlySet<string> = new Set([
  'id',
  'externalid',
  'members.value',
  'manager.value',
]);
