/** Recording a failed metadata refresh on a connection (the last good copy stays in use). */
import { createHash } from 'node:crypto';
import type { MetadataStatus } from '../core/connection-state.ts';
import type { SamlSpError } from '../core/errors.ts';
import type { Connection } from '../core/types.ts';
import { nextRefreshAfterFailure } from './refresh-policy.ts';

/**
 * The metadata status after a failed refresh at `now`: the failure, the count, and the backed-off retry.
 *
 * @example
 * ```ts
 * const next = { ...connection, metadataStatus: failedRefreshStatus(connection, error, now) };
 * ```
 */
export function failedRefreshStatus(connection: Connection, error: SamlSpError, now: Date): MetadataStatus {
  const previous = connection.metadataStatus ?? legacyStatus(connection);
  const consecutiveFailures = previous.consecutiveFailures + 1;
  return {
    ...previous,
    lastAttemptAt: now.toISOString(),
    nextRefreshAt: nextRefreshAfterFailure(now, consecutiveFailures).toISOString(),
    lastError: { at: now.toISOString(), code: error.code, message: error.message, hint: error.hint },
    consecutiveFailures,
  };
}

/** A status for a connection stored before metadata status existed. */
function legacyStatus(connection: Connection): MetadataStatus {
  return {
    source: connection.metadataUrl ? 'url' : 'file',
    importedAt: connection.updatedAt,
    changedAt: connection.updatedAt,
    sha256: createHash('sha256')
      .update(connection.metadataXml ?? '')
      .digest('hex'),
    facts: { byteOrderMark: false, entityCount: 1, otherRoles: [], signed: false },
    notes: [],
    consecutiveFailures: 0,
  };
}
