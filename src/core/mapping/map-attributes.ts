/**
 * Asserted attributes -> the local profile. For each field the mapping's names are tried in order and the
 * first non-empty value wins; then the documented fallbacks (NameID, UPN, first + last name) fill the gaps.
 * Nothing is guessed silently: every fallback, and every gap an admin can fix on the IdP, adds a warning.
 */

import type { AttributeMapping, MappedProfile, NameId, PresetName } from '../types.ts';
import { NAMEID_FORMATS } from '../xml/namespaces.ts';
import { CLAIMS, getPreset, resolveMapping } from './presets.ts';

export interface MapAttributesInput {
  /** Attribute Name -> every value, as the validated assertion carries them. */
  attributes: Record<string, string[]>;
  nameId: NameId;
  preset: PresetName;
  /** The connection's `attributeMapping`: each field named here replaces the preset's list. */
  overrides: AttributeMapping;
}

type SingleField = 'email' | 'firstName' | 'lastName' | 'displayName' | 'externalId';
const SINGLE_FIELDS: readonly SingleField[] = ['email', 'firstName', 'lastName', 'displayName', 'externalId'];

/** Deliberately loose: it separates addresses from bare usernames and opaque IDs, not valid from invalid mail. */
const EMAIL_LIKE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Maps an assertion's attributes to a {@link MappedProfile} with the connection's preset and overrides.
 *
 * @example
 * ```ts
 * const profile = mapAttributes({
 *   attributes: { email: ['alice@example.com'], groups: ['eng', 'eng', 'ops'] },
 *   nameId: { value: 'alice', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' },
 *   preset: 'okta',
 *   overrides: {},
 * });
 * // { email: 'alice@example.com', groups: ['eng', 'ops'], warnings: [] }
 * ```
 */
export function mapAttributes(input: MapAttributesInput): MappedProfile {
  const preset = getPreset(input.preset);
  const mapping = resolveMapping(input.preset, input.overrides);
  const warnings: string[] = [];
  const profile: MappedProfile = { groups: [], warnings };

  for (const field of SINGLE_FIELDS) {
    const hit = firstValue(input.attributes, mapping[field]);
    if (hit === undefined) continue;
    profile[field] = hit.value;
    if (hit.distinct > 1) {
      warnings.push(`${field}: "${hit.name}" carries ${hit.distinct} different values; the first was used`);
    }
  }

  if (profile.email === undefined) {
    profile.email = emailFallback(input, preset.nameIdIsEmail === true, preset.upnAttributes ?? [], warnings);
    if (profile.email === undefined) warnings.push(`no email: none of ${list(mapping.email)} was sent`);
  } else if (!EMAIL_LIKE.test(profile.email)) {
    warnings.push(`email "${profile.email}" does not look like an email address`);
  }

  if (profile.displayName === undefined) {
    const derived = [profile.firstName, profile.lastName].filter((part) => part !== undefined).join(' ');
    if (derived !== '') {
      profile.displayName = derived;
      warnings.push('displayName derived from firstName and lastName');
    }
  }

  if (profile.externalId === undefined) {
    if (input.nameId.format === NAMEID_FORMATS.persistent && input.nameId.value.trim() !== '') {
      profile.externalId = input.nameId.value.trim();
      warnings.push('externalId taken from the persistent NameID');
    } else if (preset.immutableField === 'externalId') {
      warnings.push(
        `no externalId: none of ${list(mapping.externalId)} was sent and the NameID is not persistent; ` +
          'without a stable ID a renamed user becomes a new user',
      );
    }
  }

  profile.groups = mapGroups(input.attributes, mapping.groups, warnings);
  return profile;
}

/** NameID with emailAddress format, then (if the preset says so) an address-like NameID, then a UPN. */
function emailFallback(
  input: MapAttributesInput,
  nameIdIsEmail: boolean,
  upnAttributes: readonly string[],
  warnings: string[],
): string | undefined {
  const nameId = input.nameId.value.trim();
  if (input.nameId.format === NAMEID_FORMATS.emailAddress) {
    if (EMAIL_LIKE.test(nameId)) {
      warnings.push('email taken from the NameID (format emailAddress): no email attribute was sent');
      return nameId;
    }
    warnings.push(
      `the NameID has format emailAddress but "${nameId}" does not look like an address; not used`,
    );
  } else if (nameIdIsEmail && EMAIL_LIKE.test(nameId)) {
    warnings.push(
      'email taken from the NameID, which this IdP sets to the primary email: no email attribute was sent',
    );
    return nameId;
  }
  const upn = firstValue(input.attributes, upnAttributes);
  if (upn === undefined) return undefined;
  if (EMAIL_LIKE.test(upn.value)) {
    warnings.push(
      `email taken from the UPN in "${upn.name}": a UPN is not always a mailbox; ` +
        `send ${CLAIMS.emailAddress} for the real address`,
    );
    return upn.value;
  }
  warnings.push(
    `the UPN "${upn.value}" in "${upn.name}" does not look like an email address; not used as email`,
  );
  return undefined;
}

/**
 * All values of the first listed attribute that has any, trimmed and de-duplicated. When Entra signals
 * overage the group list is unknown: warn, and do not fall through from the groups claim to later names
 * (roles), which would present a partial list as the complete one.
 */
function mapGroups(
  attributes: Record<string, string[]>,
  names: readonly string[],
  warnings: string[],
): string[] {
  const overage = values(attributes, CLAIMS.entraGroupsOverage).length > 0;
  if (overage) {
    warnings.push(
      `groups unknown (overage): the IdP sent ${CLAIMS.entraGroupsOverage} instead of the groups, as Entra does ` +
        'above 150 groups; fetch them from Microsoft Graph, or limit the groups claim to groups assigned to the app',
    );
  }
  for (const name of names) {
    if (overage && name === CLAIMS.entraGroups) break;
    const found = values(attributes, name);
    if (found.length > 0) return [...new Set(found)];
  }
  return [];
}

interface Hit {
  name: string;
  value: string;
  distinct: number;
}

function firstValue(attributes: Record<string, string[]>, names: readonly string[]): Hit | undefined {
  for (const name of names) {
    const found = values(attributes, name);
    const value = found[0];
    if (value !== undefined) return { name, value, distinct: new Set(found).size };
  }
  return undefined;
}

/** Trimmed non-empty values; own properties only, so an attribute named "constructor" is just a name. */
function values(attributes: Record<string, string[]>, name: string): string[] {
  if (!Object.hasOwn(attributes, name)) return [];
  const raw = attributes[name];
  if (!Array.isArray(raw)) return [];
  return raw.map((v) => (typeof v === 'string' ? v.trim() : '')).filter((v) => v !== '');
}

function list(names: readonly string[]): string {
  return names.length === 0 ? '(no attribute names)' : names.map((n) => `"${n}"`).join(', ');
}
