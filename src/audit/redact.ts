/**
 * What an audit entry may keep of a value: secrets never reach the log, and bulky material (metadata text,
 * certificate PEMs) is replaced by a digest so that an entry stays readable and small while still showing
 * that it changed.
 */
import { createHash } from 'node:crypto';

/** Field names whose values are secrets wherever they appear. */
const SECRET_KEY = /secret|token|password|passphrase|private.?key|credential|authorization|cookie/i;
/** Field names whose values are large public texts: kept as length + SHA-256. */
const BULKY_KEY = /^(metadataXml|pem|xml|samlResponse)$/i;
const MAX_DEPTH = 12;

export const REDACTED = '[redacted]';

/**
 * A JSON-safe deep copy of `value` with secrets replaced by `"[redacted]"`, bulky texts by a digest, and
 * `Date`s as ISO strings. `undefined` stays `undefined` (no before for a creation, no after for a removal).
 *
 * @example
 * ```ts
 * redactForAudit({ name: 'ci', token: 'abc' }); // { name: 'ci', token: '[redacted]' }
 * ```
 */
export function redactForAudit(value: unknown, depth = 0): unknown {
  if (value === undefined || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactForAudit(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === undefined || typeof field === 'function') continue;
    if (SECRET_KEY.test(key)) out[key] = REDACTED;
    else if (BULKY_KEY.test(key) && typeof field === 'string') out[key] = digest(field);
    else out[key] = redactForAudit(field, depth + 1);
  }
  return out;
}

function digest(text: string): string {
  const sha = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
  return `[${text.length} chars, sha256 ${sha}…]`;
}
