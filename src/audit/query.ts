/** The audit log's query parameters, validated once for the API's query string and the CLI's flags. */
import { z } from 'zod';
import { parseInput } from '../sp/connection-input.ts';
import type { AuditQuery } from '../store/audit.ts';

const auditQuerySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  targetType: z.string().min(1).max(64).optional(),
  targetId: z.string().min(1).max(256).optional(),
  format: z.enum(['json', 'jsonl']).optional(),
});

/** Parses the audit query string (shared by the API and the CLI's `--since`). */
export function auditQueryOf(raw: unknown): AuditQuery & { format?: 'json' | 'jsonl' } {
  const q = parseInput(auditQuerySchema, raw);
  return {
    ...(q.since ? { since: new Date(q.since) } : {}),
    ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.targetType && q.targetId ? { target: { type: q.targetType, id: q.targetId } } : {}),
    ...(q.format ? { format: q.format } : {}),
  };
}
