/**
 * The audit log service: one call records an admin action, whoever performed it (API, page, CLI) and whatever
 * it touched. Services receive it as the {@link AuditRecorder} port, so that recording is
 * `audit.record({ actor, action, target, before, after })` and nothing more.
 */
import { randomUUID } from 'node:crypto';
import { type Actor, UNKNOWN_ACTOR } from '../sp/change-context.ts';
import type { AuditEntry, AuditLogStore, AuditQuery, AuditTarget } from '../store/audit.ts';
import { MemoryAuditLogStore } from '../store/memory/audit.ts';
import { redactForAudit } from './redact.ts';

/** One admin action as a service reports it. `before`/`after` are redacted before they are stored. */
export interface AuditRecord {
  /** Who acted: `context.actor` of the service call. Missing: recorded as the unknown system actor. */
  actor?: Actor | undefined;
  /** What happened, `noun.verb_past`: `connection.updated`, `admin_token.revoked`, `admin.signed_in`. */
  action: string;
  target: AuditTarget;
  /** The target before the action (absent for a creation). */
  before?: unknown;
  /** The target after the action (absent for a removal). */
  after?: unknown;
}

/** The port services depend on. */
export interface AuditRecorder {
  record(record: AuditRecord): Promise<void>;
}

/** A recorder that records nothing: the default of services built without an audit log (library use). */
export const NO_AUDIT: AuditRecorder = Object.freeze({ record: async () => {} });

export interface AuditLogOptions {
  /** Where entries go. Default: in process memory. */
  store?: AuditLogStore;
  now?: () => Date;
}

/**
 * The audit log over an {@link AuditLogStore}: records (redacting secrets), lists and exports.
 *
 * @example
 * ```ts
 * const audit = new AuditLog({ store: stores.auditLog });
 * await audit.record({ actor, action: 'connection.updated', target: { type: 'connection', id }, before, after });
 * for await (const line of audit.exportJsonLines({ since })) process.stdout.write(line);
 * ```
 */
export class AuditLog implements AuditRecorder {
  readonly #store: AuditLogStore;
  readonly #now: () => Date;

  constructor(options: AuditLogOptions = {}) {
    this.#store = options.store ?? new MemoryAuditLogStore();
    this.#now = options.now ?? (() => new Date());
  }

  async record(record: AuditRecord): Promise<void> {
    const before = redactForAudit(record.before);
    const after = redactForAudit(record.after);
    await this.#store.append({
      id: randomUUID(),
      at: this.#now(),
      actor: { kind: (record.actor ?? UNKNOWN_ACTOR).kind, name: (record.actor ?? UNKNOWN_ACTOR).name },
      action: record.action,
      target: { type: record.target.type, id: record.target.id },
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    });
  }

  /** One page, oldest first. */
  list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#store.list(query);
  }

  /** Every entry matching `query` (all pages), oldest first. */
  async *entries(
    query: Omit<AuditQuery, 'afterSeq' | 'limit' | 'newestFirst'> = {},
  ): AsyncGenerator<AuditEntry> {
    let afterSeq: number | undefined;
    for (;;) {
      const page = await this.#store.list({ ...query, ...(afterSeq === undefined ? {} : { afterSeq }) });
      for (const entry of page) yield entry;
      if (page.length === 0) return;
      afterSeq = page[page.length - 1]?.seq;
    }
  }

  /** Every entry as one JSON line each (`\n`-terminated), for archiving or a SIEM. */
  async *exportJsonLines(
    query: Omit<AuditQuery, 'afterSeq' | 'limit' | 'newestFirst'> = {},
  ): AsyncGenerator<string> {
    for await (const entry of this.entries(query)) yield `${JSON.stringify(auditEntryJson(entry))}\n`;
  }
}

/** An entry as the API, the CLI and the JSON-lines export show it. */
export function auditEntryJson(entry: AuditEntry) {
  return {
    id: entry.id,
    seq: entry.seq,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    ...(entry.before === undefined ? {} : { before: entry.before }),
    ...(entry.after === undefined ? {} : { after: entry.after }),
  };
}
