/**
 * The OpenID estate in one command: `npm run estate-oidc` starts saml-sp-kit with the OpenID bridge and the
 * embedded dev IdP on http://localhost:3000, the Node API on http://127.0.0.1:4000/orders, and the Django app on
 * http://127.0.0.1:8000 (its virtual environment made on first run in examples/estate-oidc/.venv). Open the
 * Django app, sign in as alice (alice-pass), open "Orders from the API"; sign out at the IdP
 * (http://localhost:3000/idp/logout) and reload Django: its session was ended by back-channel logout.
 *
 * Everything binds 127.0.0.1; the data lives in data/estate-oidc/ (SQLite for the SP and for Django).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAppServer, loadConfig } from 'saml-sp-kit';
import { createOrdersApi } from './api.ts';
import { djangoEnvironment, ensureVenv, startDjango } from './django.ts';

const SP_PORT = 3000;
const API_PORT = 4000;
const DJANGO_PORT = 8000;
const API = 'https://orders.estate.test';
const dataDir = path.resolve('data/estate-oidc');
await mkdir(dataDir, { recursive: true });

const config = loadConfig({
  ...process.env,
  PORT: String(SP_PORT),
  HOST: '127.0.0.1',
  DATABASE_URL: `sqlite:${path.join(dataDir, 'sp.db')}`,
  DEV_IDP: 'on',
  OIDC_BRIDGE: 'on',
  OIDC_RESOURCES: API,
});
const server = await createAppServer(config);
await server.listen(SP_PORT, '127.0.0.1');

const django = `http://127.0.0.1:${DJANGO_PORT}`;
// One client per run (the secret is shown only at registration); a real deployment registers it once.
const { clientId, clientSecret } = await server
  .oidc!.clients.create({
    name: 'Estate (Django)',
    redirectUris: [`${django}/oidc/callback/`],
    postLogoutRedirectUris: [`${django}/signed-out/`],
    backchannelLogoutUri: `${django}/oidc/backchannel-logout/`,
  })
  .then(({ client, clientSecret }) => ({ clientId: client.clientId, clientSecret: clientSecret! }));

const api = createOrdersApi({ issuer: config.baseUrl, audience: API });
api.listen(API_PORT, '127.0.0.1');

const settings = {
  issuer: config.baseUrl,
  clientId,
  clientSecret,
  apiUrl: `http://127.0.0.1:${API_PORT}/orders`,
  apiResource: API,
  connection: 'dev',
  database: path.join(dataDir, 'django.sqlite3'),
};
// For `manage.py refresh_grants` by hand (README of this example); readable by this user only.
await writeFile(
  path.join(dataDir, 'django.env'),
  Object.entries(djangoEnvironment(settings))
    .filter(([name]) => /^(OIDC|API|DJANGO)_/.test(name))
    .map(([name, value]) => `${name}=${value}\n`)
    .join(''),
  { mode: 0o600 },
);

const python = await ensureVenv(path.join(import.meta.dirname, '.venv'), (line) => console.log(line));
const running = await startDjango(python, DJANGO_PORT, settings);
console.log(
  `bridge + dev IdP ${config.baseUrl}  ·  API http://127.0.0.1:${API_PORT}/orders  ·  Django ${running.url}`,
);

const stop = async () => {
  await running.stop();
  api.close();
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
