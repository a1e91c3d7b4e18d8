/** Small builders for the mapping tests. */
import { mapAttributes } from '../../../src/core/mapping/map-attributes.ts';
import type { AttributeMapping, MappedProfile, NameId, PresetName } from '../../../src/core/types.ts';

export const FORMAT = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

export function map(
  preset: PresetName,
  attributes: Record<string, string[]>,
  nameId: NameId = { value: '_transient-1f2e', format: FORMAT.transient },
  overrides: AttributeMapping = {},
): MappedProfile {
  return mapAttributes({ attributes, nameId, preset, overrides });
}
