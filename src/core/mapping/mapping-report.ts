/**
 * What a test sign-in tells the admin about the attribute mapping: the attributes the IdP sent that no field
 * reads, a one-click suggestion for each (which field its name looks like), and the fields the preset expects
 * that stayed empty although the IdP sent attributes that could fill them. Pure: no HTTP, no storage.
 */
import type { AttributeMapping, MappedField, MappedProfile, PresetName } from '../types.ts';
import { getPreset, resolveMapping } from './presets.ts';

/** An attribute the IdP sent that the mapping does not read. */
export interface UnmappedAttribute {
  name: string;
  values: string[];
  /** The field its name looks like, when the field is still empty: a one-click mapping. */
  suggestedField?: MappedField;
}

/** A field the preset fills that stayed empty. */
export interface MissingField {
  field: MappedField;
  /** Sent attributes that could fill it (best guesses first); empty when the IdP sent nothing unread. */
  candidates: string[];
}

export interface MappingReport {
  unmapped: UnmappedAttribute[];
  /** Expected but empty although the IdP sent unread attributes: these make a test "passed with warnings". */
  missing: MissingField[];
  /** Expected, empty, and nothing unread was sent: the IdP must add the attribute (informational). */
  notSent: MappedField[];
}

/** The fields a test expects filled when the preset names attributes for them. */
const EXPECTED: readonly MappedField[] = ['email', 'firstName', 'lastName', 'displayName', 'groups'];

/** Attribute-name shapes per field, tried on the name's last segment (after '/', ':' or '#'), lower-cased. */
const LOOKS_LIKE: readonly { field: MappedField; pattern: RegExp }[] = [
  { field: 'email', pattern: /^(e?mail|email_?address|emailaddress|0\.9\.2342\.19200300\.100\.1\.3)$/ },
  { field: 'firstName', pattern: /^(given_?name|first_?name|givenname|fname|2\.5\.4\.42)$/ },
  { field: 'lastName', pattern: /^(sur_?name|sn|last_?name|family_?name|lname|2\.5\.4\.4)$/ },
  {
    field: 'displayName',
    pattern: /^(display_?name|full_?name|cn|common_?name|2\.16\.840\.1\.113730\.3\.1\.241)$/,
  },
  {
    field: 'groups',
    pattern: /^(groups?|roles?|member_?of|is_?member_?of|1\.3\.6\.1\.4\.1\.5923\.1\.5\.1\.1)$/,
  },
  { field: 'externalId', pattern: /^(objectidentifier|uid|user_?id|employee_?id|external_?id|object_?id)$/ },
];

/** The field an attribute name looks like, if any. */
export function fieldLookingLike(name: string): MappedField | undefined {
  const last = (name.split(/[/:#]/).filter(Boolean).at(-1) ?? name).toLowerCase();
  const oid = name.toLowerCase().startsWith('urn:oid:') ? name.slice(8) : undefined;
  return LOOKS_LIKE.find(({ pattern }) => pattern.test(last) || (oid !== undefined && pattern.test(oid)))
    ?.field;
}

/**
 * Compares what was sent with what the mapping read.
 *
 * @example
 * ```ts
 * const report = mappingReport({ attributes, preset: 'okta', overrides: {}, profile });
 * if (report.missing.length) outcome = 'passed-with-warnings';
 * ```
 */
export function mappingReport(input: {
  attributes: Record<string, string[]>;
  preset: PresetName;
  overrides: AttributeMapping;
  profile: MappedProfile;
}): MappingReport {
  const preset = getPreset(input.preset);
  const mapping = resolveMapping(input.preset, input.overrides);
  const read = new Set([...Object.values(mapping).flat(), ...(preset.upnAttributes ?? [])]);
  const empty = (field: MappedField) =>
    field === 'groups' ? input.profile.groups.length === 0 : input.profile[field] === undefined;

  const unmapped: UnmappedAttribute[] = Object.entries(input.attributes)
    .filter(([name]) => !read.has(name))
    .map(([name, values]) => {
      const field = fieldLookingLike(name);
      return { name, values, ...(field && empty(field) ? { suggestedField: field } : {}) };
    });

  const missing: MissingField[] = [];
  const notSent: MappedField[] = [];
  for (const field of EXPECTED) {
    const presetReadsIt = (preset[field]?.length ?? 0) > 0 || (input.overrides[field]?.length ?? 0) > 0;
    if (!presetReadsIt || !empty(field)) continue;
    if (unmapped.length === 0) {
      notSent.push(field);
      continue;
    }
    const likely = unmapped.filter((u) => u.suggestedField === field).map((u) => u.name);
    const others = unmapped.filter((u) => u.suggestedField !== field).map((u) => u.name);
    missing.push({ field, candidates: [...likely, ...others] });
  }
  return { unmapped, missing, notSent };
}
