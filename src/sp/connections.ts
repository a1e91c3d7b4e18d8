/** Building connections from IdP metadata. The admin API, the CLI and the dev IdP wiring all use this. */
import { parseIdpMetadata } from '../core/metadata/idp-metadata.ts';
import { type AttributeMapping, type Connection, type ConnectionPolicy, DEFAULT_POLICY, type PresetName } from '../core/types.ts';

export interface NewConnectionInput {
  id: string;
  displayName?: string;
  metadataXml: string;
  metadataUrl?: string;
  idpEntityId?: string;
  preset?: PresetName;
  attributeMapping?: AttributeMapping;
  policy?: Partial<ConnectionPolicy>;
  spEntityId?: string;
}

/** Parses the metadata and returns a complete connection with the default (strict) policy plus overrides. */
export function connectionFromMetadata(input: NewConnectionInput, now: Date): Connection {
  const parsed = parseIdpMetadata(input.metadataXml, { now, ...(input.idpEntityId ? { idpEntityId: input.idpEntityId } : {}) });
  const stamp = now.toISOString();
  return {
    id: input.id,
    displayName: input.displayName ?? input.id,
    idpEntityId: parsed.entityId,
    ssoEndpoints: parsed.ssoEndpoints,
    sloEndpoints: parsed.sloEndpoints,
    signingCertificates: parsed.signingCertificates,
    nameIdFormats: parsed.nameIdFormats,
    wantAuthnRequestsSigned: parsed.wantAuthnRequestsSigned,
    preset: input.preset ?? 'generic',
    attributeMapping: input.attributeMapping ?? {},
    policy: { ...DEFAULT_POLICY, ...input.policy },
    ...(input.spEntityId ? { spEntityId: input.spEntityId } : {}),
    metadataXml: input.metadataXml,
    ...(input.metadataUrl ? { metadataUrl: input.metadataUrl } : {}),
    createdAt: stamp,
    updatedAt: stamp,
  };
}
