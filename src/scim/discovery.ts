/**
 * The discovery endpoints (RFC 7644 §4): ServiceProviderConfig says what this service supports (and so what
 * clients may rely on), ResourceTypes and Schemas describe User, Group and the enterprise extension from the
 * same table the service validates with (src/scim/schema.ts).
 */
import { MAX_RESULTS } from './list.ts';
import { MAX_PATCH_OPERATIONS } from './patch.ts';
import {
  type AttributeDefinition,
  COMMON_ATTRIBUTES,
  ENTERPRISE_USER_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schema.ts';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://github.com/saml-sp-kit/saml-sp-kit#directory-sync-scim-20',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: `A SCIM token of this organization (POST /admin/api/organizations/:id/scim-tokens), as "Authorization: Bearer scim_…". At most ${MAX_PATCH_OPERATIONS} PATCH operations per request.`,
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A person of the organization; linked to their SAML sign-ins by userName or email.',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A group of users; its displayName is what /me lists in groups.',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

export function schemas(base: string) {
  const doc = (
    id: string,
    name: string,
    description: string,
    attributes: readonly AttributeDefinition[],
  ) => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes: attributes.map(describe),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  });
  return [
    doc(USER_SCHEMA, 'User', 'User Account', [...COMMON_ATTRIBUTES, ...USER_ATTRIBUTES]),
    doc(GROUP_SCHEMA, 'Group', 'Group', [...COMMON_ATTRIBUTES, ...GROUP_ATTRIBUTES]),
    doc(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_USER_ATTRIBUTES),
  ];
}

/** RFC 7643 §7 attribute description, with the RFC's defaults spelled out. */
function describe(def: AttributeDefinition): Record<string, unknown> {
  return {
    name: def.name,
    type: def.type,
    multiValued: def.multiValued ?? false,
    description: def.description,
    required: def.required ?? false,
    caseExact: def.caseExact ?? false,
    mutability: def.mutability ?? 'readWrite',
    returned: def.returned ?? 'default',
    uniqueness: def.uniqueness ?? 'none',
    ...(def.referenceTypes ? { referenceTypes: def.referenceTypes } : {}),
    ...(def.subAttributes ? { subAttributes: def.subAttributes.map(describe) } : {}),
  };
}
