/**
 * SCIM over HTTP against the real server (startTestServer: SQLite file, embedded dev IdP with its connection
 * `dev`, which is also the organization `dev` until organizations are wired in), with a token from the admin API.
 */
import { expect } from 'vitest';
import type { Connection } from '../../src/core/types.ts';
import { startPostgres, unavailable } from '../helpers/db-servers.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

export const ADMIN_TOKEN = 'scim-test-admin-token-0123456789';
export const SCIM_JSON = 'application/scim+json';

export interface ScimClient {
  t: TestServer;
  /** The organization's SCIM base URL. */
  base(organizationId?: string): string;
  token(organizationId?: string): Promise<string>;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; organizationId?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** Creates another organization with a connection of its own (a copy of `dev`). */
  addOrganization(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function startScim(env: Record<string, string> = {}): Promise<ScimClient> {
  const t = await startTestServer({ ADMIN_TOKEN, ...env });
  const tokens = new Map<string, string>();
  const client: ScimClient = {
    t,
    base: (organizationId = 'dev') => `${t.baseUrl}/scim/v2/${organizationId}`,
    async token(organizationId = 'dev') {
      let token = tokens.get(organizationId);
      if (!token) {
        const created = await client.admin('POST', `/organizations/${organizationId}/scim-tokens`, {
          name: 'test',
        });
        expect(created.status).toBe(201);
        token = (created.json as { token: string }).token;
        tokens.set(organizationId, token);
      }
      return token;
    },
    async call(method, path, options = {}) {
      const organizationId = options.organizationId ?? 'dev';
      const token = options.token ?? (await client.token(organizationId));
      const res = await fetch(`${client.base(organizationId)}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: SCIM_JSON,
          ...(options.body !== undefined ? { 'content-type': SCIM_JSON } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined
          ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
          : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        headers: res.headers,
      };
    },
    async admin(method, path, body) {
      const res = await fetch(`${t.baseUrl}/admin/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async addOrganization(id) {
      expect((await client.admin('POST', '/organizations', { id, name: id })).status).toBe(201);
      const dev = (await t.server.stores.connections.get('dev')) as Connection;
      await t.server.stores.connections.put({ ...dev, id: `${id}-idp`, organizationId: id });
    },
    close: () => t.close(),
  };
  return client;
}

/** The resources of a ListResponse. */
export function resources(json: Record<string, unknown>): Record<string, unknown>[] {
  expect(json.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
  return json.Resources as Record<string, unknown>[];
}

/** The databases the vendor sequences run on: SQLite always, a real PostgreSQL when its binaries are installed. */
export const BACKENDS = [
  { name: 'SQLite', skip: false },
  { name: 'PostgreSQL', skip: unavailable('PostgreSQL') !== undefined },
] as const;

/** startScim on `backend`; for PostgreSQL a fresh server and database, stopped by `close()`. */
export async function startScimOn(backend: (typeof BACKENDS)[number]['name']): Promise<ScimClient> {
  if (backend === 'SQLite') return startScim();
  const server = await startPostgres();
  try {
    const client = await startScim({ DATABASE_URL: await server.createDatabase('scim') });
    return {
      ...client,
      close: async () => {
        await client.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
