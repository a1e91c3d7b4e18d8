/**
 * SCIM PATCH (RFC 7644 §3.5.2). The operation semantics (add, replace, remove; paths with value filters such as
 * `members[value eq "…"]` or `emails[type eq "work"].value`; add/replace without a path) are `scim-patch`'s, a
 * maintained implementation of exactly this section, rather than ours: it is the part of SCIM where hand-written
 * code most often gets the corner cases wrong. Around it we do what it leaves to the server:
 * - accept the op names in any case (Entra ID sends "Replace", "Add", "Remove"),
 * - check the envelope (PatchOp schema, an Operations array, a size cap),
 * - re-check the patched document against the schema (src/scim/document.ts), which also turns Entra ID's
 *   "True"/"False" strings into booleans and refuses attributes the schema does not have,
 * - map its errors to SCIM errors with their scimType, never a 500.
 */
import { type ScimPatchOperation, scimPatch } from 'scim-patch';
import { isObject } from './document.ts';
import { invalidSyntax, ScimError, type ScimType } from './errors.ts';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The most operations one PATCH may carry (Entra ID batches group members, at most a few hundred). */
export const MAX_PATCH_OPERATIONS = 1000;

type Json = Record<string, unknown>;

/** The operations of a PATCH body, with lower-cased op names; throws 400 for a malformed envelope. */
export function readPatch(body: unknown): ScimPatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('A PATCH body must be a JSON object.');
  const schemas = body.schemas;
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
  ) {
    throw invalidSyntax(`A PATCH body must list "${PATCH_OP_SCHEMA}" in schemas.`);
  }
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = key === undefined ? undefined : body[key];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax('A PATCH body must carry a non-empty "Operations" array.');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw new ScimError(
      400,
      `A PATCH may carry at most ${MAX_PATCH_OPERATIONS} operations; split it.`,
      'tooMany',
    );
  }
  return operations
    .map((raw, i) => {
      if (!isObject(raw)) throw invalidSyntax(`Operations[${i}] must be an object.`);
      const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : undefined;
      if (op !== 'add' && op !== 'replace' && op !== 'remove') {
        throw invalidSyntax(
          `Operations[${i}].op must be add, replace or remove, got ${JSON.stringify(raw.op)}.`,
        );
      }
      if (raw.path !== undefined && typeof raw.path !== 'string') {
        throw new ScimError(400, `Operations[${i}].path must be a string.`, 'invalidPath');
      }
      if (op === 'remove' && raw.path === undefined) {
        throw new ScimError(400, `Operations[${i}]: remove needs a path.`, 'noTarget');
      }
      if (op !== 'remove' && raw.value === undefined) {
        throw invalidSyntax(`Operations[${i}]: ${op} needs a value.`);
      }
      return {
        op,
        ...(raw.path !== undefined ? { path: raw.path } : {}),
        value: raw.value,
      } as ScimPatchOperation;
    })
    .flatMap(removeByValue);
}

/**
 * `{ "op": "remove", "path": "members", "value": [{ "value": id }, ...] }` (Entra ID's group batches, with
 * `"$ref": null` in each item) means "remove the members with these ids". scim-patch removes only items that
 * are deep-equal to the given ones, which a stored member (with its `type` and `display`) never is, so each
 * item becomes the RFC's own form of that removal: `members[value eq "id"]`.
 */
function removeByValue(operation: ScimPatchOperation): ScimPatchOperation[] {
  const { op, path, value } = operation as { op: string; path?: string; value?: unknown };
  if (op !== 'remove' || path === undefined || /[[.]/.test(path) || !Array.isArray(value)) return [operation];
  if (!value.every((item) => isObject(item) && typeof item.value === 'string')) return [operation];
  return value.map(
    (item) =>
      ({ op: 'remove', path: `${path}[value eq ${JSON.stringify(item.value)}]` }) as ScimPatchOperation,
  );
}

/** `document` with `operations` applied (a new object; the input is not changed). */
export function applyPatch(document: Json, operations: ScimPatchOperation[]): Json {
  try {
    return scimPatch(structuredClone(document) as never, operations, {
      mutateDocument: true,
      treatMissingAsAdd: true,
    }) as unknown as Json;
  } catch (error) {
    if (error instanceof ScimError) throw error;
    const scimType = (error as { scimType?: unknown })?.scimType;
    const detail = error instanceof Error ? error.message : String(error);
    throw new ScimError(400, `The PATCH cannot be applied: ${detail}`, knownType(scimType), { cause: error });
  }
}

function knownType(value: unknown): ScimType {
  const types: ScimType[] = ['invalidPath', 'noTarget', 'invalidValue', 'invalidSyntax', 'mutability'];
  return types.find((t) => t === value) ?? 'invalidValue';
}
