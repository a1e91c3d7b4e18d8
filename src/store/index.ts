/**
 * Choosing the storage backend from DATABASE_URL. This is the one place that maps a URL to adapters: a new
 * backend (PostgreSQL, Redis caches) slots in as one more branch of {@link parseDatabaseUrl} and {@link openStores}.
 */
import path from 'node:path';
import { InvalidOptionError } from '../core/errors.ts';
import { createMemoryStores } from './memory/index.ts';
import { openSqliteStores } from './sqlite/index.ts';
import type { Stores } from './types.ts';

export type * from './types.ts';

export interface OpenStoresOptions {
  /**
   * `'sqlite:PATH'` (relative to the working directory, or absolute; parent directories are created),
   * `'sqlite::memory:'` for a throwaway SQLite database, or `'memory:'` for everything in process memory.
   * `postgres://` is recognised but not supported yet.
   */
  databaseUrl: string;
  /**
   * Where request IDs and the replay cache live with SQLite: `'memory'` (the default, "in-process caches") or
   * `'database'` (they survive a restart of a single instance). Ignored for `memory:`.
   */
  caches?: 'memory' | 'database';
}

/** A parsed DATABASE_URL. */
export type DatabaseTarget =
  | { kind: 'memory' }
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

/**
 * Parses DATABASE_URL without opening anything. Relative SQLite paths resolve against `cwd`.
 *
 * @example
 * ```ts
 * parseDatabaseUrl('sqlite:data/saml-sp.db', '/srv/app'); // { kind: 'sqlite', file: '/srv/app/data/saml-sp.db' }
 * ```
 */
export function parseDatabaseUrl(databaseUrl: string, cwd: string = process.cwd()): DatabaseTarget {
  const url = databaseUrl.trim();
  if (url === 'memory:') return { kind: 'memory' };
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    // Accept the URL spelling too: sqlite:///abs/path.db and sqlite://rel/path.db.
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '')
      throw new InvalidOptionError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:data/saml-sp.db');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  throw new InvalidOptionError(
    `DATABASE_URL must start with "sqlite:", "postgres://" or be "memory:"; got "${redact(url)}"`,
  );
}

/**
 * Opens the stores DATABASE_URL names: connections, users and sessions in SQLite, request IDs and the replay
 * cache in memory unless `caches: 'database'`; or all five in memory for `memory:`.
 *
 * @example
 * ```ts
 * const stores = await openStores({ databaseUrl: 'sqlite:data/saml-sp.db' });
 * try { await stores.connections.list(); } finally { await stores.close(); }
 * ```
 */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const target = parseDatabaseUrl(options.databaseUrl);
  switch (target.kind) {
    case 'memory':
      return createMemoryStores();
    case 'sqlite':
      return openSqliteStores(target.file, { caches: options.caches ?? 'memory' });
    case 'postgres':
      throw new InvalidOptionError(
        'PostgreSQL is not supported yet: support lands with the connections issue. ' +
          'Use DATABASE_URL=sqlite:PATH (one instance) for now.',
      );
  }
}

/** Hides a password in a URL-like string before it reaches an error message or a log. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
