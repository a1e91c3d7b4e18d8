/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a response carries.
 * `id` and `schemas` are returned always. Names are case-insensitive and may carry a schema URN prefix
 * (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`) or name a sub-attribute
 * (`name.givenName`). Okta asks `?attributes=userName` style questions; Entra ID asks for `excludedAttributes=members`
 * when it only needs to know that a group exists.
 */
import { attributePath } from './filter.ts';

type Json = Record<string, unknown>;

const ALWAYS = new Set(['id', 'schemas']);

/** Parses the comma-separated query value into attribute paths. */
export function attributeList(value: unknown): string[][] | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(attributePath);
}

/** The resource with only the requested attributes, or without the excluded ones. */
export function project(resource: Json, options: { attributes?: string[][]; excluded?: string[][] }): Json {
  if (options.attributes) {
    const out: Json = {};
    for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
    for (const path of options.attributes) copy(resource, out, path);
    return out;
  }
  if (options.excluded) {
    const out = structuredClone(resource);
    for (const path of options.excluded) remove(out, path);
    return out;
  }
  return resource;
}

function copy(from: Json, to: Json, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = keyOf(from, head);
  if (key === undefined) return;
  const value = from[key];
  if (rest.length === 0 || typeof value !== 'object' || value === null) {
    to[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    // A sub-attribute of a multi-valued attribute: keep it in every item.
    const existing = Array.isArray(to[key]) ? (to[key] as Json[]) : value.map(() => ({}));
    value.forEach((item, i) => {
      if (typeof item === 'object' && item !== null) copy(item as Json, existing[i] as Json, rest);
    });
    to[key] = existing;
    return;
  }
  const target = (typeof to[key] === 'object' && to[key] !== null ? to[key] : {}) as Json;
  copy(value as Json, target, rest);
  to[key] = target;
}

function remove(from: Json, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = keyOf(from, head);
  if (key === undefined || ALWAYS.has(key)) return;
  if (rest.length === 0) {
    delete from[key];
    return;
  }
  const value = from[key];
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) if (typeof item === 'object' && item !== null) remove(item as Json, rest);
}

function keyOf(node: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(node).find((k) => k.toLowerCase() === lower);
}
