/** The one `pg` Pool every PostgreSQL store shares, and how errors from it reach the application. */
import pg from 'pg';
import { redactUrl } from '../redact.ts';
import { migrate } from './migrations.ts';

export type { Pool, PoolConfig } from 'pg';

/** How long a query waits for a free pooled connection before failing, instead of hanging a login forever. */
const CONNECTION_TIMEOUT_MS = 10_000;

export interface PostgresPoolOptions {
  /**
   * Extra `pg` pool settings (`max`, `ssl`, `idleTimeoutMillis`, ...), merged over the defaults: 10
   * connections, a 10 s wait for a free one, `application_name=saml-sp-kit`.
   */
  pool?: Omit<pg.PoolConfig, 'connectionString'>;
  /**
   * Called with errors that belong to no query: an idle pooled connection dropped by the server or the
   * network. `pg` discards the broken connection and opens a new one on demand. Without a listener such an
   * error would crash the process, so the default reports it with `process.emitWarning`.
   */
  onError?: (error: Error) => void;
}

/**
 * Opens a pool on `url` (`postgres://` or `postgresql://`) and brings the schema up to date
 * ({@link migrate}). A server that cannot be reached, or refuses the credentials, fails here, at startup,
 * with the password redacted from the message.
 *
 * @example
 * ```ts
 * const pool = await openPostgresPool('postgres://saml:secret@db.internal/saml_sp');
 * ```
 */
export async function openPostgresPool(url: string, options: PostgresPoolOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    application_name: 'saml-sp-kit',
    ...options.pool,
    connectionString: url,
  });
  pool.on('error', options.onError ?? warn);
  const open = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  liveClients.set(pool, open);
  try {
    await migrate(pool);
  } catch (error) {
    await endPool(pool);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Opening PostgreSQL at ${redactUrl(url)} failed: ${reason}`, { cause: error });
  }
  return pool;
}

/** The pooled connections of each pool that have not closed yet; see {@link endPool}. */
const liveClients = new WeakMap<pg.Pool, Set<pg.PoolClient>>();

/**
 * Ends the pool and waits until every connection has closed. `pool.end()` alone resolves once it has
 * asked them to close, so a server shut down right after could still reach a closing connection.
 * Ending twice is harmless.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  const open = [...(liveClients.get(pool) ?? [])];
  const closed = open.map((client) => new Promise<void>((resolve) => client.once('end', () => resolve())));
  if (!pool.ending) await pool.end();
  await Promise.all(closed);
}

function warn(error: Error): void {
  process.emitWarning(`PostgreSQL pool: ${error.message}`, { code: 'SAML_SP_STORE_POSTGRES' });
}
