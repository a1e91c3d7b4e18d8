/**
 * Keycloak as the local enterprise IdP, without Docker: `npm run keycloak`.
 *
 *   node dev-idp/keycloak.ts [start]          download (once), render the realm, run Keycloak, create the SP
 *                                             connections keycloak, kc-entra, kc-adfs, kc-okta; Ctrl-C stops it
 *   node dev-idp/keycloak.ts download         only fetch and unpack the distribution into dev-idp/.cache
 *   node dev-idp/keycloak.ts render --out F   write the realm import for this checkout to F (docker compose)
 *   node dev-idp/keycloak.ts connect --keycloak-url URL
 *                                             create the SP connections from a running Keycloak (docker compose)
 *
 * The SP side is read from the same environment as the server (BASE_URL, SP_ENTITY_ID, DATABASE_URL, CERTS_DIR,
 * ...). KEYCLOAK_PORT (default 8080) and KEYCLOAK_URL (default http://localhost:$KEYCLOAK_PORT) say where
 * Keycloak listens and how browsers reach it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type ResolvedConfig } from '../src/config.ts';
import { loadSpKeys } from '../src/server.ts';
import { loadOrCreateKeyPair } from '../src/sp/key-files.ts';
import { openStores } from '../src/store/index.ts';
import { connectKeycloak } from './runner/connections.ts';
import { ensureDistribution, findJdk } from './runner/distribution.ts';
import { withEstateClients } from './runner/estate-clients.ts';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  DEFAULT_KEYCLOAK_PORT,
  fetchDescriptor,
  startKeycloak,
} from './runner/keycloak-server.ts';
import { KEYCLOAK_CONNECTIONS, REALM, renderRealm } from './runner/realm.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Renders the realm for this checkout's SP, creating the SP keys and the realm key when missing. */
export async function renderRealmForConfig(config: ResolvedConfig): Promise<string> {
  const keys = await loadSpKeys(config);
  const { pair: realmKey } = await loadOrCreateKeyPair(
    {
      key: path.join(config.certsDir, 'keycloak-realm.key.pem'),
      cert: path.join(config.certsDir, 'keycloak-realm.cert.pem'),
    },
    `Keycloak realm ${REALM} (saml-sp-kit development)`,
  );
  const realm = await renderRealm({
    spBaseUrl: config.baseUrl,
    spEntityId: config.spEntityId,
    spSigningCertPem: keys.signing.certificatePem,
    realmKey,
  });
  // examples/estate's website and billing (issue #6), with their keys in the same certs folder.
  return withEstateClients(realm, { ...process.env, CERTS_DIR: config.certsDir });
}

async function connect(config: ResolvedConfig, descriptorUrl: string): Promise<void> {
  const metadataXml = await fetchDescriptor(descriptorUrl);
  const stores = await openStores({ databaseUrl: config.databaseUrl });
  try {
    const connections = await connectKeycloak({
      connections: stores.connections,
      metadataXml,
      sp: { baseUrl: config.baseUrl, entityId: config.spEntityId },
    });
    log(`keycloak: SP connections ${connections.map((c) => c.id).join(', ')} ready in ${config.databaseUrl}`);
  } finally {
    await stores.close();
  }
}

function keycloakPort(env: NodeJS.ProcessEnv): number {
  const raw = env.KEYCLOAK_PORT ?? String(DEFAULT_KEYCLOAK_PORT);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new ConfigError(`KEYCLOAK_PORT: not a port: "${raw}"`);
  return port;
}

async function start(config: ResolvedConfig): Promise<void> {
  const port = keycloakPort(process.env);
  const home = await ensureDistribution({ log });
  const jdk = await findJdk();
  log(`keycloak: Java ${jdk.major} from ${jdk.javaHome}`);
  const realmJson = await renderRealmForConfig(config);
  const keycloak = await startKeycloak({
    home,
    javaHome: jdk.javaHome,
    realmJson,
    port,
    ...(process.env.KEYCLOAK_URL ? { publicUrl: process.env.KEYCLOAK_URL } : {}),
    log,
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log('keycloak: stopping');
    await keycloak.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    await connect(config, keycloak.descriptorUrl);
  } catch (err) {
    log(`keycloak: could not create the SP connections: ${(err as Error).message}`);
  }
  log(
    [
      '',
      `Keycloak ${keycloak.url} is ready (realm ${REALM}, log ${keycloak.logFile}).`,
      `  Admin console: ${keycloak.adminConsoleUrl}  (${ADMIN_USERNAME} / ${ADMIN_PASSWORD})`,
      '  Users: alice / alice-pass, bob / bob-pass',
      `  Start the SP (npm start) and sign in at ${config.baseUrl}/saml/keycloak/login`,
      `  Connections: ${KEYCLOAK_CONNECTIONS.map((c) => `${c.connectionId} (${c.preset})`).join(', ')}`,
      `  The estate (website, billing): ESTATE_IDP_METADATA_URL=${keycloak.descriptorUrl} npm run estate`,
      'Ctrl-C stops Keycloak.',
    ].join('\n'),
  );
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'keycloak-url': { type: 'string' } },
  });
  const command = positionals[0] ?? 'start';
  const config = loadConfig(process.env);
  switch (command) {
    case 'start':
      await start(config);
      return -1; // keep running until a signal
    case 'download':
      log(`keycloak: distribution at ${await ensureDistribution({ log })}`);
      return 0;
    case 'render': {
      const json = await renderRealmForConfig(config);
      if (!values.out) {
        process.stdout.write(json);
        return 0;
      }
      await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
      await writeFile(values.out, json);
      log(`keycloak: realm ${REALM} for ${config.baseUrl} written to ${values.out}`);
      return 0;
    }
    case 'connect': {
      const base = (values['keycloak-url'] ?? `http://localhost:${keycloakPort(process.env)}`).replace(
        /\/+$/,
        '',
      );
      await connect(config, `${base}/realms/${REALM}/protocol/saml/descriptor`);
      return 0;
    }
    default:
      log(
        `unknown command "${command}"; use start, download, render --out FILE or connect --keycloak-url URL`,
      );
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      log(err instanceof ConfigError ? err.message : `keycloak: ${(err as Error).stack ?? String(err)}`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    },
  );
}
