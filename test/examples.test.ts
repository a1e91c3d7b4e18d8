/**
 * The library API as integrators use it: the example app (own user store, samlRouter, accountRoutes) and the
 * passport strategy, each signing in over real HTTP through the embedded IdP running as a separate server.
 */
import type { Server } from 'node:http';
import express from 'express';
import passport from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../examples/embed-in-express/app.ts';
import { generateKeyPair } from '../src/core/keys.ts';
import { buildSpMetadata } from '../src/core/metadata/sp-metadata.ts';
import { createDevIdp, type DevIdp } from '../src/dev-idp/index.ts';
import { SamlSpStrategy } from '../src/http/passport-strategy.ts';
import { connectionFromMetadata } from '../src/sp/connections.ts';
import { ServiceProvider } from '../src/sp/service-provider.ts';
import { openStores } from '../src/store/index.ts';
import { parseForm, TestBrowser } from './helpers/browser.ts';
import { freePort } from './helpers/server.ts';

const servers: Server[] = [];
const spMetadata: string[] = [];
let idp: DevIdp;

function listen(app: express.Express, port: number): Promise<void> {
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => resolve());
    servers.push(server);
  });
}

beforeAll(async () => {
  const idpPort = await freePort();
  const idpApp = express();
  idp = createDevIdp({
    baseUrl: `http://127.0.0.1:${idpPort}/idp`,
    signing: await generateKeyPair({ commonName: 'example test IdP' }),
    serviceProviders: () => spMetadata,
  });
  idpApp.use('/idp', idp.router);
  await listen(idpApp, idpPort);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** From the app's login URL through the IdP's form to the ACS; returns the ACS answer. */
async function signIn(b: TestBrowser, loginUrl: string) {
  const loginPage = await b.follow(await b.get(loginUrl));
  const autoPost = await b.submit(parseForm(loginPage), { username: 'bob', password: 'bob-pass' });
  return b.submit(parseForm(autoPost));
}

describe('examples/embed-in-express', () => {
  it('signs bob in through the integrator-owned user store', async () => {
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    const example = await createExampleApp({ baseUrl, idpMetadataXml: idp.metadataXml() });
    spMetadata.push(await example.sp.metadata('acme'));
    await listen(example.app, port);

    const b = new TestBrowser();
    const landed = await signIn(b, `${baseUrl}/saml/acme/login?returnTo=/`);
    expect(landed.status).toBe(303);
    expect((await b.get(`${baseUrl}/`)).body).toBe('Hello Bob Builder');
    expect([...example.myUsers.values()].map((u) => u.email)).toEqual(['bob@example.com']);
    const me = JSON.parse((await b.get(`${baseUrl}/me`)).body);
    expect(me).toMatchObject({ email: 'bob@example.com', groups: ['sales'], connectionId: 'acme' });
  });
});

describe('SamlSpStrategy (passport)', () => {
  it('authenticates through passport and hands passport the local user', async () => {
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    const stores = await openStores({ databaseUrl: 'memory:' });
    const signing = await generateKeyPair({ commonName: 'passport example SP' });
    const sp = new ServiceProvider({
      baseUrl,
      entityId: `${baseUrl}/passport-sp`,
      keys: { signing, encryption: signing },
      stores,
    });
    await stores.connections.put(
      connectionFromMetadata({ id: 'acme', metadataXml: idp.metadataXml(), preset: 'keycloak' }, new Date()),
    );
    spMetadata.push(buildSpMetadata(sp.spIdentity({ id: 'acme' })));

    passport.use(new SamlSpStrategy(sp));
    const app = express();
    app.use(passport.initialize());
    app.get('/saml/:connectionId/login', passport.authenticate('saml-sp-kit', { session: false }));
    app.post(
      '/saml/:connectionId/acs',
      express.urlencoded({ extended: false }),
      passport.authenticate('saml-sp-kit', { session: false, failWithError: true }),
      (req, res) => res.json({ user: req.user }),
    );
    app.use(
      (
        err: { status?: number; message: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(err.status ?? 500).json({ error: err.message });
      },
    );
    await listen(app, port);

    const b = new TestBrowser();
    const answer = await signIn(b, `${baseUrl}/saml/acme/login`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).user).toMatchObject({ email: 'bob@example.com', connectionId: 'acme' });

    // A response that is not a valid SAML Response goes down passport's failure path with the SAML status.
    const again = await b.post(`${baseUrl}/saml/acme/acs`, { SAMLResponse: 'PHNhbWxwOlJlc3BvbnNlLz4=' });
    expect(again.status).toBe(400);
  });
});
