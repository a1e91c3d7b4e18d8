/**
 * The shapes the admin API, the admin page and the CLI accept for creating and changing connections, as zod
 * schemas: one definition, validated at every edge (STYLE habit 14). Unknown keys are refused, so a typo
 * ("allowIdpInitated") is an error instead of a silently ignored setting.
 */
import { z } from 'zod';
import { SP_ENTITY_ID_MODES, type SpEntityIdMode } from '../core/connection-lifecycle.ts';
import { MAX_METADATA_MAX_BYTES, MIN_METADATA_MAX_BYTES } from '../core/metadata/limits.ts';
import { PRESET_NAMES, type PresetName } from '../core/types.ts';
import { AdminError } from './admin-errors.ts';

/** Connection ids appear in URLs (/saml/:id/acs): letters, digits, '-' and '_' only. */
export const CONNECTION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

const attributeNames = z.array(z.string().min(1).max(512)).max(20);

export const attributeMappingSchema = z.strictObject({
  email: attributeNames.optional(),
  firstName: attributeNames.optional(),
  lastName: attributeNames.optional(),
  displayName: attributeNames.optional(),
  groups: attributeNames.optional(),
  externalId: attributeNames.optional(),
});

export const policySchema = z.strictObject({
  wantSigned: z.enum(['assertion', 'response-or-assertion', 'response-and-assertion']).optional(),
  allowSha1: z.boolean().optional(),
  allowIdpInitiated: z.boolean().optional(),
  clockSkewSeconds: z.number().int().min(0).max(3600).optional(),
  requireEncryptedAssertion: z.boolean().optional(),
  allowCbcWithoutResponseSignature: z.boolean().optional(),
  signAuthnRequests: z.boolean().optional(),
  logoutIssuerAliases: z.array(z.string().min(1).max(1024)).max(10).optional(),
  allowSoapLogoutWithoutDestination: z.boolean().optional(),
  acceptedAuthnContexts: z.array(z.string().min(1).max(1024)).max(20).optional(),
  requestedAuthnContext: z
    .strictObject({
      classRefs: z.array(z.string().min(1).max(1024)).min(1).max(10),
      comparison: z.enum(['exact', 'minimum', 'maximum', 'better']).default('exact'),
    })
    .nullable()
    .optional(),
  /** Largest metadata document (upload or download), 16 KiB to 64 MiB; null goes back to the default (1 MiB). */
  metadataMaxBytes: z
    .number()
    .int()
    .min(MIN_METADATA_MAX_BYTES, `at least ${MIN_METADATA_MAX_BYTES} bytes (16 KiB)`)
    .max(MAX_METADATA_MAX_BYTES, `at most ${MAX_METADATA_MAX_BYTES} bytes (64 MiB)`)
    .nullable()
    .optional(),
});

const presetSchema = z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);
/**
 * Metadata text: the parser enforces the connection's own limit (policy.metadataMaxBytes); this only stops
 * bodies above the highest limit a connection may set.
 */
const metadataText = z.string().min(1).max(MAX_METADATA_MAX_BYTES);
const certificateText = z.string().min(1).max(20_000);
const spEntityIdModeSchema = z.enum(SP_ENTITY_ID_MODES as [SpEntityIdMode, ...SpEntityIdMode[]]);

/**
 * POST /admin/api/connections (CONTRACT.md), and the same fields from the page and the CLI. Only a name (or an
 * id) is required: without metadata the connection is a `draft` that already has its SP values.
 */
export const createConnectionSchema = z
  .strictObject({
    id: z.string().regex(CONNECTION_ID, 'letters, digits, - and _ only (at most 63)').optional(),
    displayName: z.string().trim().min(1).max(200).optional(),
    metadataXml: metadataText.optional(),
    metadataUrl: httpUrl.optional(),
    idpEntityId: z.string().min(1).max(1024).optional(),
    preset: presetSchema.optional(),
    attributeMapping: attributeMappingSchema.optional(),
    allowIdpInitiated: z.boolean().optional(),
    policy: policySchema.optional(),
    /** A custom SP entity ID for this connection (absolute URI); implies spEntityIdMode "custom". */
    spEntityId: z.string().min(1).max(1024).optional(),
    /**
     * `connection` (the default): its own SP entity ID, `<base>/saml/<id>/metadata`; `shared`: the server's
     * SP_ENTITY_ID; `custom`: `spEntityId`.
     */
    spEntityIdMode: spEntityIdModeSchema.optional(),
    /** Older spelling of spEntityIdMode "connection" (the default now). */
    ownSpEntityId: z.boolean().optional(),
    /** Pinned certificate(s) (PEM or base64) that must have signed the metadata. */
    metadataSigningCertificates: z.array(certificateText).min(1).max(5).optional(),
    /**
     * With metadata: wait in `testing` until a test sign-in passes. Without it, an app admin creating a
     * connection with metadata through the API or CLI activates it at once (recorded as an override).
     */
    requireTest: z.boolean().optional(),
    /** Create even though another connection already has this display name. */
    allowDuplicateName: z.boolean().optional(),
    /** The organization that owns the connection; without one, the connection gets an organization of its own. */
    organizationId: z.string().regex(CONNECTION_ID, 'an organization id').optional(),
  })
  .refine((v) => !(v.metadataXml !== undefined && v.metadataUrl !== undefined), {
    message: 'give metadataXml or metadataUrl, not both',
    path: ['metadataXml'],
  })
  .refine((v) => v.displayName !== undefined || v.id !== undefined || v.metadataXml || v.metadataUrl, {
    message: 'give at least a displayName',
    path: ['displayName'],
  })
  .refine(
    (v) => !(v.spEntityId && (v.ownSpEntityId || (v.spEntityIdMode && v.spEntityIdMode !== 'custom'))),
    {
      message: 'a custom spEntityId goes with spEntityIdMode "custom" only',
      path: ['spEntityId'],
    },
  )
  .refine((v) => v.spEntityIdMode !== 'custom' || !!v.spEntityId, {
    message: 'spEntityIdMode "custom" needs spEntityId',
    path: ['spEntityIdMode'],
  });

export type CreateConnectionInput = z.infer<typeof createConnectionSchema>;

/** PATCH /admin/api/connections/:id. `null` clears an optional setting. */
export const updateConnectionSchema = z
  .strictObject({
    displayName: z.string().trim().min(1).max(200).optional(),
    preset: presetSchema.optional(),
    /** Replaces the whole mapping (send {} to fall back to the preset). */
    attributeMapping: attributeMappingSchema.optional(),
    allowIdpInitiated: z.boolean().optional(),
    /** Merged into the current policy. */
    policy: policySchema.optional(),
    /** Replaces the metadata with this document (the connection then keeps no URL unless one is given). */
    metadataXml: metadataText.optional(),
    /** Switches to (or changes) the metadata URL and fetches it now; null stops refreshing. */
    metadataUrl: httpUrl.nullable().optional(),
    idpEntityId: z.string().min(1).max(1024).optional(),
    /** A custom SP entity ID (mode "custom"); null drops it (back to `spEntityIdMode`, else "shared"). */
    spEntityId: z.string().min(1).max(1024).nullable().optional(),
    /** Switches between the connection's own, the shared and a custom SP entity ID. */
    spEntityIdMode: spEntityIdModeSchema.optional(),
    /** Pinned metadata signing certificate(s); null unpins. */
    metadataSigningCertificates: z.array(certificateText).min(1).max(5).nullable().optional(),
    /** Rename even though another connection already has this display name. */
    allowDuplicateName: z.boolean().optional(),
    /** Moves the connection to another (existing) organization. */
    organizationId: z.string().regex(CONNECTION_ID, 'an organization id').optional(),
  })
  .refine((v) => !(v.metadataXml !== undefined && typeof v.metadataUrl === 'string'), {
    message: 'give metadataXml or metadataUrl, not both',
    path: ['metadataXml'],
  })
  .refine((v) => !(typeof v.spEntityId === 'string' && v.spEntityIdMode && v.spEntityIdMode !== 'custom'), {
    message: 'a custom spEntityId goes with spEntityIdMode "custom" only',
    path: ['spEntityId'],
  });

export type UpdateConnectionInput = z.infer<typeof updateConnectionSchema>;

/**
 * Validates `value` against `schema`, or throws ADMIN_INVALID_REQUEST listing every problem by field.
 *
 * @example
 * ```ts
 * const input = parseInput(createConnectionSchema, req.body);
 * ```
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.message,
  }));
  throw new AdminError(
    'ADMIN_INVALID_REQUEST',
    `Invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    {
      hint: 'See CONTRACT.md (Admin API) for the accepted fields; unknown fields are refused.',
      details: { problems },
    },
  );
}
