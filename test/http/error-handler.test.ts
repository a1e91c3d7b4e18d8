/**
 * Issue #11, item 1: no route ever shows a stack trace or a file path, whatever NODE_ENV says. Errors are
 * forced on each route (every store method throws an error whose message names a source file) with
 * NODE_ENV=development, where Express's default handler would print the stack; the answers must be 500
 * INTERNAL_ERROR in our shape, as JSON or HTML, with the details in the log only. The same for the routers an
 * integrator mounts in an app of their own, with no error handler of theirs.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountRoutes } from '../../src/http/account-routes.ts';
import { homePage } from '../../src/http/home-page.ts';
import { createLogger } from '../../src/http/logger.ts';
import { samlRouter } from '../../src/http/saml-router.ts';
import { ServiceProvider } from '../../src/sp/service-provider.ts';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ADMIN_TOKEN = 'error-handler-admin-token-0123456789';
const SECRET = '/srv/secret/src/store/sqlite/users.ts:42';
/** A stack frame, a source position or a server path: none may reach a client. */
const LEAK = /\n\s+at\s|\.ts:\d+|node_modules|file:\/\/|\/(?:work|tmp|home|usr|srv)\/|secret/;

const previousNodeEnv = process.env.NODE_ENV;

/** Makes every method of every store throw (a bug, not an outage); returns the function that undoes it. */
function breakStores(stores: Stores): () => void {
  const undo: (() => void)[] = [];
  for (const store of Object.values(stores)) {
    if (typeof store !== 'object' || store === null || Array.isArray(store)) continue;
    const target = store as Record<string, unknown>;
    let proto: object | null = Object.getPrototypeOf(store);
    const names = new Set<string>();
    while (proto && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
      proto = Object.getPrototypeOf(proto);
    }
    for (const name of names) {
      if (typeof target[name] !== 'function') continue;
      // Store methods are async: they fail with a rejected promise.
      target[name] = () => Promise.reject(new Error(`boom at ${SECRET}`));
      undo.push(() => {
        delete target[name];
      });
    }
  }
  return () => {
    for (const u of undo) u();
  };
}

function expectInternal(page: Page, accept: string, name: string, only?: string): void {
  expect(page.status, `${name} (${accept}): ${page.body.slice(0, 300)}`).toBe(500);
  expect(page.body, name).not.toMatch(LEAK);
  expect(page.body, name).not.toContain('boom');
  if ((only ?? accept) === 'application/json') {
    expect(page.headers.get('content-type'), name).toMatch(/^application\/json/);
    const body = JSON.parse(page.body) as { error: { code: string } };
    expect(body.error.code, name).toBe('INTERNAL_ERROR');
  } else {
    expect(page.headers.get('content-type'), name).toMatch(/^text\/html/);
    expect(page.body, name).toContain('INTERNAL_ERROR');
  }
}

describe('the server: forced errors on every route (NODE_ENV=development)', () => {
  let t: TestServer;
  beforeAll(async () => {
    process.env.NODE_ENV = 'development';
    t = await startTestServer({ ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    process.env.NODE_ENV = previousNodeEnv;
    await t?.close();
  });

  it('answers 500 INTERNAL_ERROR in our shape, JSON or HTML, without a stack or a path', async () => {
    const base = t.baseUrl;
    const user = new TestBrowser();
    const start = await user.follow(await user.get(`${base}/saml/dev/login`));
    const acsForm = parseForm(
      await user.submit(parseForm(start), { username: 'alice', password: 'alice-pass' }),
    );
    expect((await user.submit(acsForm)).status).toBe(303);
    const pending = new TestBrowser();
    const pendingStart = await pending.follow(await pending.get(`${base}/saml/dev/login`));
    const form = parseForm(
      await pending.submit(parseForm(pendingStart), { username: 'bob', password: 'bob-pass' }),
    );
    const admin = new TestBrowser();
    expect((await admin.post(`${base}/admin/login`, { token: ADMIN_TOKEN })).status).toBe(303);

    const copy = (b: TestBrowser) => {
      const c = new TestBrowser();
      for (const [host, jar] of b.cookies) c.cookies.set(host, new Map(jar));
      return c;
    };
    const routes: { name: string; only?: string; run: (accept: string) => Promise<Page> }[] = [
      { name: 'GET /', run: (accept) => copy(user).get(`${base}/`, { accept }) },
      { name: 'GET /me', run: (accept) => copy(user).get(`${base}/me`, { accept }) },
      { name: 'GET /logout', run: (accept) => copy(user).get(`${base}/logout`, { accept }) },
      { name: 'POST /logout', run: (accept) => copy(user).post(`${base}/logout`, {}, { accept }) },
      { name: 'metadata', run: (accept) => copy(user).get(`${base}/saml/dev/metadata`, { accept }) },
      { name: 'login', run: (accept) => copy(user).get(`${base}/saml/dev/login`, { accept }) },
      { name: 'ACS', run: (accept) => copy(pending).post(form.action, form.fields, { accept }) },
      { name: 'SLO', run: (accept) => copy(user).get(`${base}/saml/dev/slo?SAMLRequest=AAAA`, { accept }) },
      {
        name: 'admin API',
        only: 'application/json',
        run: (accept) =>
          new TestBrowser().get(`${base}/admin/api/connections`, {
            accept,
            authorization: `Bearer ${ADMIN_TOKEN}`,
          }),
      },
      {
        name: 'admin page',
        only: 'text/html',
        run: (accept) => copy(admin).get(`${base}/admin`, { accept }),
      },
    ];
    const restore = breakStores(t.server.stores);
    try {
      for (const route of routes) {
        for (const accept of ['application/json', 'text/html']) {
          expectInternal(await route.run(accept), accept, route.name, route.only);
        }
      }
    } finally {
      restore();
    }
    // Repaired: the same routes answer normally again.
    expect((await copy(user).get(`${base}/me`, { accept: 'application/json' })).status).toBe(200);
  });

  it('a route nobody serves, a URL that cannot be decoded and a broken JSON body: our shape, no stack', async () => {
    const b = new TestBrowser();
    const missing = await b.get(`${t.baseUrl}/no/such/route`, { accept: 'application/json' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const missingHtml = await b.get(`${t.baseUrl}/no/such/route`, { accept: 'text/html' });
    expect(missingHtml.status).toBe(404);
    expect(missingHtml.body).toContain('Not found');
    expect(missingHtml.body).not.toMatch(LEAK);

    const undecodable = await b.get(`${t.baseUrl}/saml/%E0%A4%A/metadata`, { accept: 'application/json' });
    expect(undecodable.status).toBeGreaterThanOrEqual(400);
    expect(undecodable.status).toBeLessThan(500);
    expect(undecodable.body).not.toMatch(LEAK);
    expect(JSON.parse(undecodable.body).error.code).toMatch(/^[A-Z_]+$/);

    const badJson = await b.request(`${t.baseUrl}/admin/api/connections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: '{"displayName":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body).not.toMatch(LEAK);
  });
});

describe('routers an integrator mounts in a bare Express app', () => {
  let server: Server;
  let base: string;
  let stores: Stores;
  const log: Record<string, unknown>[] = [];
  beforeAll(async () => {
    process.env.NODE_ENV = 'development';
    stores = createMemoryStores();
    const sp = new ServiceProvider({
      baseUrl: 'http://127.0.0.1',
      entityId: 'https://sp.example.com',
      keys: { signing: testKeyPair('sp'), encryption: testKeyPair('sp') },
      stores,
    });
    const logger = createLogger('debug', (line) => log.push(JSON.parse(line) as Record<string, unknown>));
    // No error handler of the app's own: Express's default page (with the stack) is what would answer.
    const app = express();
    app.use('/saml', samlRouter(sp, { logger }));
    app.use(accountRoutes(sp, { logger }));
    app.use(homePage(sp, { logger }));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    process.env.NODE_ENV = previousNodeEnv;
    server?.close();
  });

  it('samlRouter, accountRoutes and homePage answer 500 INTERNAL_ERROR themselves; the log has the cause', async () => {
    const restore = breakStores(stores);
    const cookie = { cookie: `saml_sp_session=${'a'.repeat(43)}` };
    try {
      for (const [name, url] of [
        ['metadata', '/saml/acme/metadata'],
        ['login', '/saml/acme/login'],
        ['/me', '/me'],
        ['/', '/'],
        ['/logout', '/logout'],
      ] as const) {
        for (const accept of ['application/json', 'text/html']) {
          expectInternal(await new TestBrowser().get(`${base}${url}`, { accept, ...cookie }), accept, name);
        }
      }
    } finally {
      restore();
    }
    const errors = log.filter((l) => l.code === 'INTERNAL_ERROR');
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0]?.cause)).toContain('boom');
  });
});
