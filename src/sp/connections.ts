/**
 * Building connections from IdP metadata, and applying fresh metadata to an existing connection. The admin
 * API, the admin page, the CLI, the refresh scheduler and the dev IdP wiring all go through here.
 */
import { createHash } from 'node:crypto';
import type { MetadataStatus } from '../core/connection-state.ts';
import { type ParsedIdpMetadata, parseIdpMetadata } from '../core/metadata/idp-metadata.ts';
import { metadataLimits } from '../core/metadata/limits.ts';
import { type MergedCertificates, mergeCertificates, stampCertificates } from '../core/metadata/rollover.ts';
import {
  type AttributeMapping,
  type Connection,
  type ConnectionPolicy,
  DEFAULT_POLICY,
  type IdpCertificate,
  type PresetName,
} from '../core/types.ts';
import { nextRefreshAfterSuccess } from './refresh-policy.ts';

export interface NewConnectionInput {
  id: string;
  displayName?: string;
  metadataXml: string;
  /** Where the metadata came from; set, the connection refreshes from it. */
  metadataUrl?: string;
  idpEntityId?: string;
  preset?: PresetName;
  attributeMapping?: AttributeMapping;
  policy?: Partial<ConnectionPolicy>;
  spEntityId?: string;
  /** Pinned certificates the metadata must be signed with. */
  metadataSigningCertificates?: IdpCertificate[];
}

/**
 * Parses the metadata (verifying its signature when certificates are pinned) and returns a complete
 * connection with the default (strict) policy plus overrides. Throws the parser's SamlSpError when the
 * metadata is unusable.
 *
 * @example
 * ```ts
 * const connection = connectionFromMetadata({ id: 'acme', metadataXml, preset: 'okta' }, new Date());
 * await stores.connections.put(connection);
 * ```
 */
export function connectionFromMetadata(
  input: NewConnectionInput,
  now: Date,
  /**
   * The metadata as {@link readMetadata} already read it with the same entity, pins and policy (the service
   * reads it once to name the connection): reading a 15 MB aggregate twice would double the import.
   */
  alreadyParsed?: ParsedIdpMetadata,
): Connection {
  const policy = { ...DEFAULT_POLICY, ...input.policy };
  const parsed =
    alreadyParsed ??
    readMetadata(input.metadataXml, {
      now,
      idpEntityId: input.idpEntityId,
      pinned: input.metadataSigningCertificates,
      allowSha1: policy.allowSha1,
      maxBytes: metadataLimits(policy).maxBytes,
    });
  const stamp = now.toISOString();
  return {
    id: input.id,
    displayName: input.displayName ?? input.id,
    idpEntityId: parsed.entityId,
    ssoEndpoints: parsed.ssoEndpoints,
    sloEndpoints: parsed.sloEndpoints,
    signingCertificates: stampCertificates(parsed.signingCertificates, now),
    nameIdFormats: parsed.nameIdFormats,
    wantAuthnRequestsSigned: parsed.wantAuthnRequestsSigned,
    preset: input.preset ?? 'generic',
    attributeMapping: input.attributeMapping ?? {},
    policy,
    ...(input.spEntityId ? { spEntityId: input.spEntityId } : {}),
    metadataXml: parsed.excerpt ?? input.metadataXml,
    ...(input.metadataUrl ? { metadataUrl: input.metadataUrl } : {}),
    ...(input.metadataSigningCertificates?.length
      ? { metadataSigningCertificates: input.metadataSigningCertificates }
      : {}),
    metadataStatus: statusFor(parsed, input.metadataXml, now, input.metadataUrl ? 'url' : 'file'),
    createdAt: stamp,
    updatedAt: stamp,
  };
}

/** What a draft starts with: names, preferences and SP-side choices, no IdP facts. */
export type DraftConnectionInput = Omit<NewConnectionInput, 'metadataXml' | 'metadataUrl' | 'idpEntityId'>;

/**
 * A connection without IdP metadata (status `draft`): empty IdP facts, the default policy plus overrides. It
 * has its SP values (entity ID, ACS, SLO, SP metadata) already; sign-ins are refused until metadata arrives
 * and a test passes.
 *
 * @example
 * ```ts
 * await stores.connections.put({ ...draftConnection({ id: 'acme', displayName: 'Acme' }, new Date()), spEntityIdMode: 'connection' });
 * ```
 */
export function draftConnection(input: DraftConnectionInput, now: Date): Connection {
  const stamp = now.toISOString();
  return {
    id: input.id,
    displayName: input.displayName ?? input.id,
    idpEntityId: '',
    ssoEndpoints: [],
    sloEndpoints: [],
    signingCertificates: [],
    nameIdFormats: [],
    wantAuthnRequestsSigned: false,
    preset: input.preset ?? 'generic',
    attributeMapping: input.attributeMapping ?? {},
    policy: { ...DEFAULT_POLICY, ...input.policy },
    ...(input.spEntityId ? { spEntityId: input.spEntityId } : {}),
    ...(input.metadataSigningCertificates?.length
      ? { metadataSigningCertificates: input.metadataSigningCertificates }
      : {}),
    status: 'draft',
    createdAt: stamp,
    updatedAt: stamp,
  };
}

/** How a connection reads its metadata (plain data: it also crosses to the metadata thread, metadata-thread.ts). */
export interface ReadMetadataOptions {
  now: Date;
  idpEntityId?: string | undefined;
  pinned?: readonly IdpCertificate[] | undefined;
  allowSha1?: boolean | undefined;
  /** The connection's document limit (metadataLimits(policy).maxBytes). Default 1 MiB. */
  maxBytes?: number | undefined;
}

/** Parses metadata the way a connection reads it: pinned signature, chosen entity, clock. */
export function readMetadata(xml: string, options: ReadMetadataOptions): ParsedIdpMetadata {
  return parseIdpMetadata(xml, {
    now: options.now,
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.idpEntityId ? { idpEntityId: options.idpEntityId } : {}),
    ...(options.pinned?.length
      ? {
          signature: {
            certificates: options.pinned.map((c) => c.pem),
            allowSha1: options.allowSha1 ?? false,
          },
        }
      : {}),
  });
}

/** Options of {@link applyMetadata}. */
export interface ApplyMetadataOptions {
  now: Date;
  /** `url`: a refresh (or a new URL); `file`: an upload. */
  source: 'file' | 'url';
  /**
   * Keep certificates the previous metadata listed for the rollover grace period (refreshes do; an admin
   * uploading replacement metadata by hand means to replace the trust, so uploads do not).
   */
  keepPreviousCertificates: boolean;
  graceMs?: number;
}

/**
 * Returns `connection` with the IdP facts of freshly parsed metadata: endpoints, certificates (merged for
 * rollover when asked), NameID formats, status. Policy, mapping and names are left as they are.
 *
 * @example
 * ```ts
 * const { connection: next, merge } = applyMetadata(current, parsed, xml, { now, source: 'url', keepPreviousCertificates: true });
 * ```
 */
export function applyMetadata(
  connection: Connection,
  parsed: ParsedIdpMetadata,
  xml: string,
  options: ApplyMetadataOptions,
): { connection: Connection; merge: MergedCertificates; changed: boolean } {
  const { now } = options;
  const merge = options.keepPreviousCertificates
    ? mergeCertificates(connection.signingCertificates, parsed.signingCertificates, {
        now,
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      })
    : {
        certificates: stampCertificates(parsed.signingCertificates, now),
        added: parsed.signingCertificates.map((c) => c.fingerprintSha256),
        retained: [],
        dropped: [],
      };
  const previous = connection.metadataStatus;
  const status = statusFor(parsed, xml, now, options.source);
  const changed = previous?.sha256 !== status.sha256;
  if (!changed && previous) status.changedAt = previous.changedAt;
  return {
    connection: {
      ...connection,
      idpEntityId: parsed.entityId,
      ssoEndpoints: parsed.ssoEndpoints,
      sloEndpoints: parsed.sloEndpoints,
      signingCertificates: merge.certificates,
      nameIdFormats: parsed.nameIdFormats,
      wantAuthnRequestsSigned: parsed.wantAuthnRequestsSigned,
      metadataXml: parsed.excerpt ?? xml,
      metadataStatus: status,
      updatedAt: now.toISOString(),
    },
    merge,
    changed,
  };
}

function statusFor(
  parsed: ParsedIdpMetadata,
  xml: string,
  now: Date,
  source: 'file' | 'url',
): MetadataStatus {
  const at = now.toISOString();
  return {
    source,
    importedAt: at,
    changedAt: at,
    sha256: createHash('sha256').update(xml).digest('hex'),
    ...(parsed.excerpt
      ? { aggregate: { bytes: Buffer.byteLength(xml), entityCount: parsed.facts.entityCount } }
      : {}),
    ...(parsed.validUntil ? { validUntil: parsed.validUntil } : {}),
    ...(parsed.cacheDuration ? { cacheDuration: parsed.cacheDuration } : {}),
    facts: parsed.facts,
    notes: parsed.notes,
    ...(parsed.signature ? { signatureVerifiedBy: parsed.signature.certificateFingerprint } : {}),
    ...(source === 'url'
      ? { lastAttemptAt: at, nextRefreshAt: nextRefreshAfterSuccess(now, parsed).toISOString() }
      : {}),
    consecutiveFailures: 0,
  };
}
