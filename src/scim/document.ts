/**
 * Checks an incoming SCIM document (POST, PUT, or the result of a PATCH) against the schema table and returns
 * it in canonical form: attribute names spelled as the schema spells them (SCIM names are case-insensitive),
 * booleans as booleans (Entra ID sends "True"/"False"), nulls and empty values dropped (RFC 7644 §3.5.2:
 * unassigned), read-only attributes ignored, the password never kept. Anything the schema does not know is
 * refused with 400 invalidSyntax, naming the attribute, rather than silently stored or dropped.
 */
import { invalidSyntax, invalidValue } from './errors.ts';
import {
  type AttributeDefinition,
  ENTERPRISE_USER_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schema.ts';

export type ResourceKind = 'User' | 'Group';
type Json = Record<string, unknown>;

interface KindSchema {
  core: string;
  attributes: readonly AttributeDefinition[];
  extensions: Readonly<Record<string, readonly AttributeDefinition[]>>;
}

export const KINDS: Readonly<Record<ResourceKind, KindSchema>> = {
  User: {
    core: USER_SCHEMA,
    attributes: USER_ATTRIBUTES,
    extensions: { [ENTERPRISE_USER_SCHEMA]: ENTERPRISE_USER_ATTRIBUTES },
  },
  Group: { core: GROUP_SCHEMA, attributes: GROUP_ATTRIBUTES, extensions: {} },
};

/** Attributes accepted in a body and ignored (RFC 7644 §3.3: readOnly values SHALL be ignored). */
const IGNORED = new Set(['schemas', 'id', 'meta']);

/**
 * The canonical document of `input` for `kind`, with `externalId` and the extension objects kept; throws a
 * ScimError for anything malformed.
 *
 * @example
 * ```ts
 * readDocument({ UserName: 'a@acme.test', active: 'False' }, 'User'); // { userName: 'a@acme.test', active: false }
 * ```
 */
export function readDocument(input: unknown, kind: ResourceKind): Json {
  if (!isObject(input)) throw invalidSyntax(`A ${kind} must be a JSON object.`);
  const schema = KINDS[kind];
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (IGNORED.has(lower)) continue;
    if (lower === 'externalid') {
      if (value === null || value === '') continue;
      if (typeof value !== 'string') throw invalidValue('externalId must be a string.');
      out.externalId = value;
      continue;
    }
    const extension = Object.keys(schema.extensions).find((urn) => urn.toLowerCase() === lower);
    if (extension !== undefined) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidSyntax(`${extension} must be an object.`);
      const ext = readAttributes(value, schema.extensions[extension] ?? [], extension);
      if (Object.keys(ext).length > 0) out[extension] = ext;
      continue;
    }
    const def = find(schema.attributes, key);
    if (def === undefined) throw unknownAttribute(key, kind);
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue;
    const read = readValue(value, def, def.name);
    if (read !== undefined) out[def.name] = read;
  }
  return out;
}

function readAttributes(input: Json, defs: readonly AttributeDefinition[], where: string): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    const def = find(defs, key);
    if (def === undefined) throw unknownAttribute(`${where}:${key}`);
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue;
    const read = readValue(value, def, `${where}.${def.name}`);
    if (read !== undefined) out[def.name] = read;
  }
  return out;
}

function readValue(value: unknown, def: AttributeDefinition, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    // Some clients send one value where the schema has a list; the RFC has no such form, so refuse it.
    if (!Array.isArray(value)) throw invalidValue(`${path} must be an array.`);
    const items = value.map((v) => readSingle(v, def, path)).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  return readSingle(value, def, path);
}

function readSingle(value: unknown, def: AttributeDefinition, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case 'complex': {
      // Entra ID sends the manager as its bare id in PATCH ("value": "26118915-6090-4610-87e4-49d8ca9f808d"):
      // a complex attribute with a `value` sub-attribute given a string means that value.
      if (typeof value === 'string' && def.subAttributes?.some((s) => s.name === 'value')) return { value };
      if (!isObject(value)) throw invalidValue(`${path} must be an object.`);
      const sub = readAttributes(value, def.subAttributes ?? [], path);
      return Object.keys(sub).length > 0 ? sub : undefined;
    }
    case 'boolean':
      return readBoolean(value, path);
    case 'integer':
      if (!Number.isInteger(value)) throw invalidValue(`${path} must be an integer.`);
      return value;
    default:
      if (typeof value !== 'string') throw invalidValue(`${path} must be a string.`);
      return value === '' ? undefined : value;
  }
}

/**
 * A boolean, or the strings "true"/"false" in any case: Entra ID sends `"value": "False"` in PATCH
 * operations (learn.microsoft.com, "Tutorial: Develop and plan provisioning for a SCIM endpoint", section
 * "Disable user"); anything else is refused.
 */
export function readBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw invalidValue(`${path} must be true or false.`);
}

function find(defs: readonly AttributeDefinition[], name: string): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
}

function unknownAttribute(name: string, kind?: ResourceKind) {
  const where = kind ? ` of a ${kind}` : '';
  return invalidSyntax(
    `Unknown attribute "${name}"${where}. GET /Schemas lists the attributes this service keeps; remove the mapping from the provisioning app or map it to one of those.`,
  );
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
