/**
 * What the e2e files share: the SP server started on the port the realm was rendered for (with the certs the
 * realm trusts, a fresh SQLite file and the four Keycloak connections), headless Chromium, and Keycloak's login
 * form.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { connectKeycloak } from '../../dev-idp/runner/connections.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../../dev-idp/runner/keycloak-server.ts';
import { REALM } from '../../dev-idp/runner/realm.ts';
import { loadConfig } from '../../src/config.ts';
import type { Connection } from '../../src/core/types.ts';
import { createLogger } from '../../src/http/logger.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';

export const USERS = {
  alice: {
    username: 'alice',
    password: 'alice-pass',
    id: 'a11ce000-0000-4000-8000-000000000001',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Liddell',
    groups: ['admins', 'engineering'],
  },
  bob: {
    username: 'bob',
    password: 'bob-pass',
    id: 'b0b00000-0000-4000-8000-000000000002',
    email: 'bob@example.com',
    firstName: 'Bob',
    lastName: 'Builder',
    groups: ['sales'],
  },
} as const;
export type TestUser = (typeof USERS)[keyof typeof USERS];

export interface LogEvent {
  event: string;
  [field: string]: unknown;
}

export interface E2eSp {
  baseUrl: string;
  server: AppServer;
  /** Every event the SP logged (all levels), oldest first. */
  events: LogEvent[];
  /** Changes a stored connection (policy switches, for instance). */
  updateConnection(id: string, change: (c: Connection) => Connection): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the SP as `npm start` would (embedded IdP off), on the port and with the keys the realm expects.
 * `env` adds settings (ADMIN_TOKEN, for instance).
 */
export async function startSp(env: Record<string, string> = {}): Promise<E2eSp> {
  const kc = inject('keycloak');
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-e2e-sp-'));
  const config = loadConfig(
    {
      PORT: String(kc.spPort),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${path.join(dir, 'sp.db')}`,
      CERTS_DIR: kc.certsDir,
      DEV_IDP: 'off',
      ...env,
    },
    { cwd: dir },
  );
  const events: LogEvent[] = [];
  const echo = process.env.TEST_LOG_LEVEL;
  const logger = createLogger('debug', (line) => {
    const entry = JSON.parse(line) as LogEvent & { level: string };
    events.push(entry);
    if (echo && echo !== 'silent') process.stderr.write(line);
  });
  const server = await createAppServer(config, { logger });
  await connectKeycloak({
    connections: server.stores.connections,
    metadataXml: kc.descriptorXml,
    sp: { baseUrl: config.baseUrl, entityId: config.spEntityId },
  });
  await server.listen(kc.spPort, '127.0.0.1');
  return {
    baseUrl: config.baseUrl,
    server,
    events,
    async updateConnection(id, change) {
      const current = await server.stores.connections.get(id);
      if (!current) throw new Error(`no connection ${id}`);
      await server.stores.connections.put(change(current));
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage', '--headless=new'],
  });
}

/** Fills Keycloak's login form (the keycloak.v2 theme) and submits it. */
export async function submitKeycloakLogin(page: Page, user: TestUser): Promise<void> {
  await page.waitForSelector('#kc-form-login');
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForEvent('framenavigated'), page.click('#kc-login')]);
}

/** SP-initiated sign-in through Keycloak's login page; resolves on the SP page the browser lands on. */
export async function signIn(page: Page, sp: E2eSp, connectionId: string, user: TestUser): Promise<void> {
  await page.goto(`${sp.baseUrl}/saml/${connectionId}/login?returnTo=/me`);
  await submitKeycloakLogin(page, user);
  await page.waitForURL(`${sp.baseUrl}/me`);
}

/** GET /me from inside the browser (its cookies), as status and JSON. */
export async function me(context: BrowserContext, sp: E2eSp): Promise<{ status: number; body: MeJson }> {
  const response = await context.request.get(`${sp.baseUrl}/me`, { headers: { accept: 'application/json' } });
  return { status: response.status(), body: (await response.json()) as MeJson };
}

export interface MeJson {
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  groups: string[];
  externalId: string | null;
  connectionId: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  attributes: Record<string, string[]>;
  error?: { code: string };
}

/**
 * Whether Keycloak still holds a session for this browser, seen as a user sees it: a new SP-initiated sign-in
 * either comes straight back signed in (single sign-on, true) or stops at Keycloak's login form (false).
 */
export async function keycloakSessionAlive(
  page: Page,
  sp: E2eSp,
  connectionId = 'keycloak',
): Promise<boolean> {
  await page.goto(`${sp.baseUrl}/saml/${connectionId}/login?returnTo=/me`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (page.url() === `${sp.baseUrl}/me`) return true;
    if ((await page.locator('#kc-form-login').count()) > 0) return false;
    await page.waitForTimeout(200);
  }
  throw new Error(`neither signed in nor at Keycloak's login form: ${page.url()}`);
}

/** A bearer token of Keycloak's master-realm administrator (admin-cli, password grant) for its admin REST API. */
export async function keycloakAdminToken(): Promise<string> {
  const { keycloakUrl } = inject('keycloak');
  const response = await fetch(`${keycloakUrl}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: ADMIN_USERNAME,
      password: ADMIN_PASSWORD,
    }),
  });
  if (response.status !== 200) throw new Error(`Keycloak admin token: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The headers of a JSON call to Keycloak's admin REST API. */
export async function keycloakAdminHeaders(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await keycloakAdminToken()}`, 'content-type': 'application/json' };
}

/** A call to Keycloak's admin REST API for the test realm: `path` is below `/admin/realms/<realm>`. */
export async function keycloakAdmin(
  path: string,
  init: { method: string; body?: unknown } = { method: 'GET' },
): Promise<Response> {
  const { keycloakUrl } = inject('keycloak');
  return fetch(`${keycloakUrl}/admin/realms/${REALM}${path}`, {
    method: init.method,
    headers: await keycloakAdminHeaders(),
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
