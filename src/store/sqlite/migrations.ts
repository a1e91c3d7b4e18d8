/**
 * The SQLite schema, as ordered numbered migrations, and the runner that applies them.
 *
 * Each migration runs in its own IMMEDIATE transaction together with its row in `schema_migrations`, so a
 * failure leaves no half-built schema, and two processes starting at once cannot both apply one: the second
 * waits for the write lock (busy_timeout), then sees the version recorded and skips it.
 * Never edit a migration that has shipped; add the next number.
 */
import type { DatabaseSync } from 'node:sqlite';
import { writeTransaction } from './transaction.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The schema, oldest first. Times are epoch milliseconds where the code compares them, ISO text otherwise. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'connections, users, sessions',
    sql: `
      CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        connection_id TEXT NOT NULL,
        name_id TEXT NOT NULL,
        name_id_format TEXT,
        email TEXT,
        first_name TEXT,
        last_name TEXT,
        display_name TEXT,
        groups TEXT NOT NULL,
        external_id TEXT,
        attributes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_login_at TEXT NOT NULL,
        UNIQUE (connection_id, name_id)
      ) STRICT;
      CREATE INDEX users_email ON users (email);

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        connection_id TEXT NOT NULL,
        name_id TEXT NOT NULL,
        name_id_value TEXT NOT NULL,
        session_index TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_name_id ON sessions (connection_id, name_id_value, session_index);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
    `,
  },
  {
    version: 2,
    name: 'pending requests and replay cache',
    sql: `
      CREATE TABLE pending_requests (
        request_id TEXT PRIMARY KEY,
        connection_id TEXT NOT NULL,
        browser_key TEXT NOT NULL,
        return_to TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX pending_requests_browser ON pending_requests (browser_key, connection_id);
      CREATE INDEX pending_requests_expires_at ON pending_requests (expires_at);

      CREATE TABLE replay_cache (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX replay_cache_expires_at ON replay_cache (expires_at);
    `,
  },
  {
    version: 3,
    name: 'connection health',
    sql: `
      CREATE TABLE connection_health (
        connection_id TEXT PRIMARY KEY,
        success_count INTEGER NOT NULL DEFAULT 0,
        failure_count INTEGER NOT NULL DEFAULT 0,
        last_success_at INTEGER,
        last_success_name_id TEXT,
        last_success_user_id TEXT,
        last_failure_at INTEGER,
        last_failure_code TEXT,
        last_failure_message TEXT,
        last_failure_hint TEXT
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'shared state, throttle and leases',
    sql: `
      CREATE TABLE shared_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX shared_state_expires_at ON shared_state (expires_at);

      CREATE TABLE throttle (
        key TEXT PRIMARY KEY,
        hits INTEGER NOT NULL,
        window_ends_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX throttle_window_ends_at ON throttle (window_ends_at);

      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'organizations and their domains',
    // Every existing connection moves into an organization of its own, named after it and with its id (free:
    // there were no organizations before). Done here rather than at startup because the migration runs once,
    // under the write lock, however many instances start at once: nothing can race it or redo it later over
    // an admin's edits.
    sql: `
      CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;

      CREATE TABLE organization_domains (
        domain TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX organization_domains_organization ON organization_domains (organization_id);

      INSERT INTO organizations (id, data)
      SELECT id, json_object(
        'id', id,
        'name', coalesce(json_extract(data, '$.displayName'), id),
        'domains', json('[]'),
        'policy', json_object('ssoRequired', json('false'), 'restrictToVerifiedDomains', json('true'), 'jit', json('true')),
        'createdAt', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        'updatedAt', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      )
      FROM connections WHERE json_extract(data, '$.organizationId') IS NULL;

      UPDATE connections SET data = json_set(data, '$.organizationId', id)
      WHERE json_extract(data, '$.organizationId') IS NULL;
    `,
  },
  {
    // Reserved version 6 (issue #13): sign-in traces, and the trace of a connection's last failure.
    version: 6,
    name: 'sign-in traces',
    sql: `
      CREATE TABLE sign_in_traces (
        trace_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        connection_id TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;
      CREATE INDEX sign_in_traces_at ON sign_in_traces (at);
      CREATE INDEX sign_in_traces_connection ON sign_in_traces (connection_id, outcome, at);
      ALTER TABLE connection_health ADD COLUMN last_failure_trace_id TEXT;
    `,
  },
  {
    version: 7,
    name: 'webhook endpoints, event outbox, delivery log, certificate alerts',
    sql: `
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        description TEXT,
        event_types TEXT NOT NULL CHECK (json_valid(event_types)),
        enabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE webhook_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        ordering_key TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status_code INTEGER,
        last_error TEXT
      ) STRICT;
      CREATE INDEX webhook_messages_pending ON webhook_messages (status, endpoint_id, ordering_key, seq);
      CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, seq);

      CREATE TABLE webhook_attempts (
        message_id TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        status_code INTEGER,
        duration_ms INTEGER NOT NULL,
        error TEXT
      ) STRICT;
      CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, at);

      CREATE TABLE certificate_alerts (
        connection_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        threshold TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        PRIMARY KEY (connection_id, fingerprint, threshold)
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'audit log and admin tokens',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
        after_json TEXT CHECK (after_json IS NULL OR json_valid(after_json))
      ) STRICT;
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);
      -- Append-only at the database level: history cannot be rewritten by a bug or a stray script.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE admin_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: 'SP key ring and metadata fetches',
    sql: `
      CREATE TABLE sp_keys (
        id TEXT PRIMARY KEY,
        use TEXT NOT NULL CHECK (use IN ('signing', 'encryption')),
        state TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
        connection_id TEXT,
        certificate_pem TEXT NOT NULL,
        key_ref TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        activated_at INTEGER,
        retired_at INTEGER
      ) STRICT;
      CREATE TABLE sp_metadata_fetches (
        connection_id TEXT PRIMARY KEY,
        fetched_at INTEGER NOT NULL,
        fetched_by TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 10,
    name: 'connection status and SP entity ID mode, test sign-in requests',
    // Connections stored before statuses existed keep working unchanged: they are active (recorded as such)
    // and keep the shared SP entity ID, or the custom one they had. A test sign-in's request carries its run.
    sql: `
      ALTER TABLE pending_requests ADD COLUMN test_run TEXT;

      UPDATE connections SET data = json_set(data,
        '$.spEntityIdMode',
          CASE WHEN json_type(data, '$.spEntityId') = 'text' THEN 'custom' ELSE 'shared' END,
        '$.status', 'active',
        '$.activation', json_object(
          'at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
          'actor', json_object('kind', 'system', 'name', 'migration 10'),
          'via', 'migration'))
      WHERE json_type(data, '$.status') IS NULL;
    `,
  },
  {
    version: 11,
    name: 'setup links and their use log',
    sql: `
      CREATE TABLE setup_links (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        created_by TEXT NOT NULL,
        connection_id TEXT,
        activated_at INTEGER
      ) STRICT;
      CREATE INDEX setup_links_organization ON setup_links (organization_id, created_at);

      CREATE TABLE setup_link_uses (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        link_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT
      ) STRICT;
      CREATE INDEX setup_link_uses_link ON setup_link_uses (link_id, seq);
    `,
  },
  {
    version: 12,
    name: 'SCIM directory: users, groups, tokens',
    sql: `
      CREATE TABLE scim_users (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL,
        external_id TEXT,
        email_key TEXT,
        active INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        resource TEXT NOT NULL CHECK (json_valid(resource)),
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (organization_id, user_name_key)
      ) STRICT;
      CREATE INDEX scim_users_external_id ON scim_users (organization_id, external_id);
      CREATE INDEX scim_users_email ON scim_users (organization_id, email_key);
      -- Pages in creation order (the rowid rides in every index entry): OFFSET and count(*) walk the index only.
      CREATE INDEX scim_users_live ON scim_users (organization_id, deleted);

      CREATE TABLE scim_groups (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        display_name_key TEXT NOT NULL,
        external_id TEXT,
        members TEXT NOT NULL CHECK (json_valid(members)),
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (organization_id, display_name_key)
      ) STRICT;
      CREATE INDEX scim_groups_external_id ON scim_groups (organization_id, external_id);

      -- Who is in which group, kept beside the members document so that "the groups of user X" is an index probe.
      CREATE TABLE scim_group_members (
        group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
        organization_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        PRIMARY KEY (group_id, member_id)
      ) STRICT;
      CREATE INDEX scim_group_members_member ON scim_group_members (organization_id, member_id);

      CREATE TABLE scim_tokens (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        name TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX scim_tokens_organization ON scim_tokens (organization_id);
    `,
  },
  {
    version: 13,
    name: 'step-up: what a request demanded and how a session authenticated',
    sql: `
      ALTER TABLE pending_requests ADD COLUMN authn TEXT CHECK (authn IS NULL OR json_valid(authn));
      ALTER TABLE sessions ADD COLUMN authn TEXT CHECK (authn IS NULL OR json_valid(authn));
    `,
  },
  {
    version: 14,
    name: 'OpenID bridge: relying parties, signing keys, provider records',
    sql: `
      CREATE TABLE oidc_clients (
        client_id TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;
      CREATE TABLE oidc_keys (
        kid TEXT PRIMARY KEY,
        jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        superseded_at INTEGER,
        retire_at INTEGER
      ) STRICT;
      CREATE TABLE oidc_payloads (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        grant_id TEXT,
        account_id TEXT,
        uid TEXT,
        user_code TEXT,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) STRICT;
      CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id);
      CREATE INDEX oidc_payloads_account ON oidc_payloads (kind, account_id);
      CREATE INDEX oidc_payloads_uid ON oidc_payloads (kind, uid);
      CREATE INDEX oidc_payloads_user_code ON oidc_payloads (kind, user_code);
      CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at);
    `,
  },
  {
    version: 15,
    name: 'change counters: connections, organizations and SP keys',
    // The sign-in path keeps parsed connections, organizations and key rings between requests and asks at
    // every request whether they changed. One integer per kind, bumped by triggers inside the writing
    // transaction (on every instance sharing the file), answers that without reading or comparing the rows.
    sql: `
      CREATE TABLE change_counters (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      INSERT INTO change_counters (name, version) VALUES ('connections', 0), ('organizations', 0), ('sp_keys', 0);
      CREATE TRIGGER connections_insert_counted AFTER INSERT ON connections
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'connections'; END;
      CREATE TRIGGER connections_update_counted AFTER UPDATE ON connections
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'connections'; END;
      CREATE TRIGGER connections_delete_counted AFTER DELETE ON connections
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'connections'; END;
      CREATE TRIGGER organizations_insert_counted AFTER INSERT ON organizations
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER organizations_update_counted AFTER UPDATE ON organizations
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER organizations_delete_counted AFTER DELETE ON organizations
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER organization_domains_insert_counted AFTER INSERT ON organization_domains
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER organization_domains_update_counted AFTER UPDATE ON organization_domains
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER organization_domains_delete_counted AFTER DELETE ON organization_domains
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'organizations'; END;
      CREATE TRIGGER sp_keys_insert_counted AFTER INSERT ON sp_keys
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'sp_keys'; END;
      CREATE TRIGGER sp_keys_update_counted AFTER UPDATE ON sp_keys
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'sp_keys'; END;
      CREATE TRIGGER sp_keys_delete_counted AFTER DELETE ON sp_keys
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'sp_keys'; END;
    `,
  },
  {
    version: 16,
    name: 'fewer pages per sign-in: sessions and replay cache WITHOUT ROWID, users_email dropped',
    // A sign-in's commit costs what it writes, about one page per B-tree it touches. A rowid table with a TEXT
    // primary key is two B-trees (the rows, and the key's index); WITHOUT ROWID keeps the rows in the key's
    // B-tree, one fewer page per insert: sessions 4 -> 3, replay cache 3 -> 2. No query reads users by email
    // (users_email was written at every sign-in's upsert for nothing). Nothing references these tables.
    // Rows keep their values; session ties within one millisecond now list in id order (there is no rowid).
    sql: `
      CREATE TABLE sessions_16 (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        connection_id TEXT NOT NULL,
        name_id TEXT NOT NULL,
        name_id_value TEXT NOT NULL,
        session_index TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        authn TEXT CHECK (authn IS NULL OR json_valid(authn))
      ) STRICT, WITHOUT ROWID;
      INSERT INTO sessions_16
        (id, user_id, connection_id, name_id, name_id_value, session_index, created_at, expires_at, authn)
      SELECT id, user_id, connection_id, name_id, name_id_value, session_index, created_at, expires_at, authn
      FROM sessions ORDER BY rowid;
      DROP TABLE sessions;
      ALTER TABLE sessions_16 RENAME TO sessions;
      CREATE INDEX sessions_name_id ON sessions (connection_id, name_id_value, session_index);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);

      CREATE TABLE replay_cache_16 (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      INSERT INTO replay_cache_16 (key, expires_at) SELECT key, expires_at FROM replay_cache;
      DROP TABLE replay_cache;
      ALTER TABLE replay_cache_16 RENAME TO replay_cache;
      CREATE INDEX replay_cache_expires_at ON replay_cache (expires_at);

      DROP INDEX users_email;
    `,
  },
  {
    version: 17,
    name: 'change counter: the SCIM directory',
    // Every sign-in asks the organization's SCIM directory about the user, at the ACS and at every session read
    // (src/scim/linking.ts): one indexed read each, for a directory that changes a few times a day, and none at
    // all for an organization without SCIM users. The SQLite adapter keeps its answers behind this counter,
    // bumped inside every writing transaction on every instance sharing the file, as migration 15's are.
    sql: `
      INSERT INTO change_counters (name, version) VALUES ('scim', 0);
      CREATE TRIGGER scim_users_insert_counted AFTER INSERT ON scim_users
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_users_update_counted AFTER UPDATE ON scim_users
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_users_delete_counted AFTER DELETE ON scim_users
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_groups_insert_counted AFTER INSERT ON scim_groups
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_groups_update_counted AFTER UPDATE ON scim_groups
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_groups_delete_counted AFTER DELETE ON scim_groups
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_group_members_insert_counted AFTER INSERT ON scim_group_members
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_group_members_update_counted AFTER UPDATE ON scim_group_members
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
      CREATE TRIGGER scim_group_members_delete_counted AFTER DELETE ON scim_group_members
        BEGIN UPDATE change_counters SET version = version + 1 WHERE name = 'scim'; END;
    `,
  },
];

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order. Idempotent.
 * Returns the versions it applied (empty when the schema was current).
 *
 * @example
 * ```ts
 * const db = new DatabaseSync('data/saml-sp.db');
 * migrate(db); // [1, 2] the first time, [] afterwards
 * ```
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): number[] {
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const isApplied = db.prepare('SELECT 1 AS applied FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    if (isApplied.get(migration.version) !== undefined) continue;
    try {
      writeTransaction(db, () => {
        // Checked again under the write lock: another process may have applied it while we waited.
        if (isApplied.get(migration.version) !== undefined) return;
        db.exec(migration.sql);
        record.run(migration.version, migration.name, new Date().toISOString());
        applied.push(migration.version);
      });
    } catch (error) {
      throw new Error(`SQLite migration ${migration.version} (${migration.name}) failed`, { cause: error });
    }
  }
  return applied;
}

/** The versions recorded in `schema_migrations`, ascending. */
export function appliedVersions(db: DatabaseSync): number[] {
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
  return rows.map((row) => Number(row.version));
}

function assertOrdered(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const { version } of migrations) {
    if (!Number.isInteger(version) || version <= previous) {
      throw new Error(
        `Migrations must have strictly increasing positive integer versions; ${version} follows ${previous}`,
      );
    }
    previous = version;
  }
}
