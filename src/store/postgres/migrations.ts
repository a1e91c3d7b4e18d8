/**
 * The PostgreSQL schema, as ordered numbered migrations, and the runner that applies them.
 *
 * Each migration runs in its own transaction together with its row in `schema_migrations`, so a failure
 * leaves no half-built schema (PostgreSQL DDL is transactional). Every transaction first takes one
 * transaction-scoped advisory lock, so instances starting at once queue up: the first applies a migration,
 * the others wait, then see its row and skip it. The lock goes with the transaction, so a crashed instance
 * cannot leave it held. Never edit a migration that has shipped; add the next number.
 */
import type { Pool, PoolClient } from 'pg';

export interface Migration {
  version: number;
  name: string;
  /** One or more statements, run in one transaction. */
  sql: string;
}

/**
 * The advisory lock every migration transaction takes, as the (int4, int4) pair: 'SAML' in ASCII, then 1.
 * Advisory locks are per database, so only saml-sp-kit instances on the same database wait on each other.
 */
const LOCK = [0x53414d4c, 1] as const;

/**
 * The schema, oldest first; the numbering matches the SQLite adapter's. Times are `timestamptz`; connections,
 * groups, attributes and NameIDs are `jsonb`. `seq` columns keep insertion order where the API promises it.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'connections, users, sessions',
    sql: `
      CREATE TABLE connections (
        id text PRIMARY KEY,
        data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object')
      );

      CREATE TABLE users (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        connection_id text NOT NULL,
        name_id text NOT NULL,
        name_id_format text,
        email text,
        first_name text,
        last_name text,
        display_name text,
        groups jsonb NOT NULL CHECK (jsonb_typeof(groups) = 'array'),
        external_id text,
        attributes jsonb NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_login_at timestamptz NOT NULL,
        UNIQUE (connection_id, name_id)
      );
      CREATE INDEX users_email ON users (email);

      CREATE TABLE sessions (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        user_id text NOT NULL,
        connection_id text NOT NULL,
        name_id jsonb NOT NULL,
        name_id_value text NOT NULL,
        session_index text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX sessions_name_id ON sessions (connection_id, name_id_value, session_index);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
    `,
  },
  {
    version: 2,
    name: 'pending requests and replay cache',
    sql: `
      CREATE TABLE pending_requests (
        request_id text PRIMARY KEY,
        connection_id text NOT NULL,
        browser_key text NOT NULL,
        return_to text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX pending_requests_browser ON pending_requests (browser_key, connection_id);
      CREATE INDEX pending_requests_expires_at ON pending_requests (expires_at);

      CREATE TABLE replay_cache (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX replay_cache_expires_at ON replay_cache (expires_at);
    `,
  },
  {
    version: 3,
    name: 'connection health',
    sql: `
      CREATE TABLE connection_health (
        connection_id text PRIMARY KEY,
        success_count integer NOT NULL DEFAULT 0,
        failure_count integer NOT NULL DEFAULT 0,
        last_success_at timestamptz,
        last_success_name_id text,
        last_success_user_id text,
        last_failure_at timestamptz,
        last_failure_code text,
        last_failure_message text,
        last_failure_hint text
      );
    `,
  },
  {
    version: 4,
    name: 'shared state, throttle and leases',
    sql: `
      CREATE TABLE shared_state (
        key text PRIMARY KEY,
        value text NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX shared_state_expires_at ON shared_state (expires_at);

      CREATE TABLE throttle (
        key text PRIMARY KEY,
        hits integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      );
      CREATE INDEX throttle_window_ends_at ON throttle (window_ends_at);

      CREATE TABLE leases (
        name text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'organizations and their domains',
    // Every existing connection moves into an organization of its own, named after it and with its id (free:
    // there were no organizations before). Done here rather than at startup because the migration runs once,
    // under the advisory lock, however many instances start at once: nothing can race it or redo it later
    // over an admin's edits.
    sql: `
      CREATE TABLE organizations (
        id text PRIMARY KEY,
        data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object')
      );

      CREATE TABLE organization_domains (
        domain text PRIMARY KEY,
        organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
      );
      CREATE INDEX organization_domains_organization ON organization_domains (organization_id);

      INSERT INTO organizations (id, data)
      SELECT id, jsonb_build_object(
        'id', id,
        'name', coalesce(data->>'displayName', id),
        'domains', '[]'::jsonb,
        'policy', jsonb_build_object('ssoRequired', false, 'restrictToVerifiedDomains', true, 'jit', true),
        'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'updatedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      )
      FROM connections WHERE NOT (data ? 'organizationId');

      UPDATE connections SET data = jsonb_set(data, '{organizationId}', to_jsonb(id))
      WHERE NOT (data ? 'organizationId');
    `,
  },
  {
    // Reserved version 6 (issue #13): sign-in traces, and the trace of a connection's last failure.
    version: 6,
    name: 'sign-in traces',
    sql: `
      CREATE TABLE sign_in_traces (
        trace_id text PRIMARY KEY,
        at timestamptz NOT NULL,
        connection_id text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
        data jsonb NOT NULL
      );
      CREATE INDEX sign_in_traces_at ON sign_in_traces (at);
      CREATE INDEX sign_in_traces_connection ON sign_in_traces (connection_id, outcome, at);
      ALTER TABLE connection_health ADD COLUMN last_failure_trace_id text;
    `,
  },
  {
    version: 7,
    name: 'webhook endpoints, event outbox, delivery log, certificate alerts',
    sql: `
      CREATE TABLE webhook_endpoints (
        id text PRIMARY KEY,
        url text NOT NULL,
        secret text NOT NULL,
        description text,
        event_types jsonb NOT NULL CHECK (jsonb_typeof(event_types) = 'array'),
        enabled boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );

      CREATE TABLE webhook_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL
      );

      CREATE TABLE webhook_messages (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        event_id text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
        endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        ordering_key text,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text
      );
      CREATE INDEX webhook_messages_pending ON webhook_messages (status, endpoint_id, ordering_key, seq);
      CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, seq);

      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        message_id text NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        at timestamptz NOT NULL,
        status_code integer,
        duration_ms integer NOT NULL,
        error text
      );
      CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, at);

      CREATE TABLE certificate_alerts (
        connection_id text NOT NULL,
        fingerprint text NOT NULL,
        threshold text NOT NULL,
        raised_at timestamptz NOT NULL,
        PRIMARY KEY (connection_id, fingerprint, threshold)
      );
    `,
  },
  {
    version: 8,
    name: 'audit log and admin tokens',
    sql: `
      CREATE TABLE audit_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        at timestamptz NOT NULL,
        actor_kind text NOT NULL,
        actor_name text NOT NULL,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text NOT NULL,
        before_json jsonb,
        after_json jsonb
      );
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);
      -- Append-only at the database level: UPDATE, DELETE and TRUNCATE raise. Pruning is a deliberate act of
      -- the table owner (README, "Audit log"): ALTER TABLE audit_log DISABLE TRIGGER USER, then DELETE.
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; END;
      $$;
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

      CREATE TABLE admin_tokens (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
    `,
  },
  {
    version: 9,
    name: 'SP key ring and metadata fetches',
    sql: `
      CREATE TABLE sp_keys (
        id text PRIMARY KEY,
        use text NOT NULL CHECK (use IN ('signing', 'encryption')),
        state text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
        connection_id text,
        certificate_pem text NOT NULL,
        key_ref text NOT NULL,
        created_at timestamptz NOT NULL,
        activated_at timestamptz,
        retired_at timestamptz
      );
      CREATE TABLE sp_metadata_fetches (
        connection_id text PRIMARY KEY,
        fetched_at timestamptz NOT NULL,
        fetched_by text NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'connection status and SP entity ID mode, test sign-in requests',
    // As in the SQLite adapter: existing connections are recorded active, on the SP entity ID they had.
    sql: `
      ALTER TABLE pending_requests ADD COLUMN test_run text;

      UPDATE connections SET data = data || jsonb_build_object(
        'spEntityIdMode',
          CASE WHEN jsonb_typeof(data -> 'spEntityId') = 'string' THEN 'custom' ELSE 'shared' END,
        'status', 'active',
        'activation', jsonb_build_object(
          'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'actor', jsonb_build_object('kind', 'system', 'name', 'migration 10'),
          'via', 'migration'))
      WHERE NOT (data ? 'status');
    `,
  },
  {
    version: 11,
    name: 'setup links and their use log',
    sql: `
      CREATE TABLE setup_links (
        id text PRIMARY KEY,
        organization_id text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_by text NOT NULL,
        connection_id text,
        activated_at timestamptz
      );
      CREATE INDEX setup_links_organization ON setup_links (organization_id, created_at);

      CREATE TABLE setup_link_uses (
        seq bigserial PRIMARY KEY,
        link_id text NOT NULL,
        at timestamptz NOT NULL,
        action text NOT NULL,
        ip text,
        user_agent text
      );
      CREATE INDEX setup_link_uses_link ON setup_link_uses (link_id, seq);
    `,
  },
  {
    version: 12,
    name: 'SCIM directory: users, groups, tokens',
    sql: `
      CREATE TABLE scim_users (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        organization_id text NOT NULL,
        user_name text NOT NULL,
        user_name_key text NOT NULL,
        external_id text,
        email_key text,
        active boolean NOT NULL,
        deleted boolean NOT NULL,
        resource jsonb NOT NULL CHECK (jsonb_typeof(resource) = 'object'),
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (organization_id, user_name_key)
      );
      CREATE INDEX scim_users_external_id ON scim_users (organization_id, external_id);
      CREATE INDEX scim_users_email ON scim_users (organization_id, email_key);
      CREATE INDEX scim_users_live ON scim_users (organization_id, seq) WHERE NOT deleted;

      CREATE TABLE scim_groups (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        organization_id text NOT NULL,
        display_name text NOT NULL,
        display_name_key text NOT NULL,
        external_id text,
        members jsonb NOT NULL CHECK (jsonb_typeof(members) = 'array'),
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (organization_id, display_name_key)
      );
      CREATE INDEX scim_groups_external_id ON scim_groups (organization_id, external_id);

      CREATE TABLE scim_group_members (
        group_id text NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
        organization_id text NOT NULL,
        member_id text NOT NULL,
        PRIMARY KEY (group_id, member_id)
      );
      CREATE INDEX scim_group_members_member ON scim_group_members (organization_id, member_id);

      CREATE TABLE scim_tokens (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        organization_id text NOT NULL,
        secret_hash text NOT NULL,
        name text,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX scim_tokens_organization ON scim_tokens (organization_id);
    `,
  },
  {
    version: 13,
    name: 'step-up: what a request demanded and how a session authenticated',
    sql: `
      ALTER TABLE pending_requests ADD COLUMN authn text;
      ALTER TABLE sessions ADD COLUMN authn text;
    `,
  },
  {
    version: 14,
    name: 'OpenID bridge: relying parties, signing keys, provider records',
    sql: `
      CREATE TABLE oidc_clients (
        client_id text PRIMARY KEY,
        data text NOT NULL
      );
      CREATE TABLE oidc_keys (
        kid text PRIMARY KEY,
        jwk text NOT NULL,
        created_at timestamptz NOT NULL,
        superseded_at timestamptz,
        retire_at timestamptz
      );
      CREATE TABLE oidc_payloads (
        kind text NOT NULL,
        id text NOT NULL,
        payload text NOT NULL,
        grant_id text,
        account_id text,
        uid text,
        user_code text,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (kind, id)
      );
      CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id);
      CREATE INDEX oidc_payloads_account ON oidc_payloads (kind, account_id);
      CREATE INDEX oidc_payloads_uid ON oidc_payloads (kind, uid);
      CREATE INDEX oidc_payloads_user_code ON oidc_payloads (kind, user_code);
      CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at);
    `,
  },
];

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order, each in its own transaction
 * under the advisory lock. Idempotent, and safe to run from several instances at once. Returns the versions
 * this call applied (empty when the schema was current).
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool); // [1, 2, 3] the first time, [] afterwards
 * ```
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  assertOrdered(migrations);
  const client = await pool.connect();
  let failed = false;
  try {
    // One short locked transaction creates the bookkeeping table and reads what is applied; at steady
    // state that is all a startup costs.
    const done = await locked(client, async () => {
      await client.query(CREATE_SCHEMA_MIGRATIONS);
      return new Set(await versions(client));
    });
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        const ran = await locked(client, async () => {
          // Checked again under the lock: another instance may have applied it while we waited.
          const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
            migration.version,
          ]);
          if (rowCount !== 0) return false;
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
          return true;
        });
        if (ran) applied.push(migration.version);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`PostgreSQL migration ${migration.version} (${migration.name}) failed: ${reason}`, {
          cause: error,
        });
      }
    }
    return applied;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A connection that saw an error may be mid-transaction or broken: destroy it rather than pool it.
    client.release(failed);
  }
}

/** The versions recorded in `schema_migrations`, ascending. */
export async function appliedVersions(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    return await versions(client);
  } finally {
    client.release();
  }
}

async function versions(client: PoolClient): Promise<number[]> {
  const { rows } = await client.query<{ version: number }>(
    'SELECT version FROM schema_migrations ORDER BY version',
  );
  return rows.map((row) => row.version);
}

/** Runs `work` in a transaction that holds the migration lock; rolls back when it throws. */
async function locked<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
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
