/**
 * The estate in one command: `npm run estate` starts the embedded development IdP on http://localhost:3000
 * and two apps, `website` on http://localhost:3001 and `billing` on http://localhost:3002, all bound to
 * 127.0.0.1. Sign in at one app, open the other: no password. Sign out at either: both are signed out.
 *
 * Environment (all optional):
 *   ESTATE_LOGOUT=front-channel|back-channel   how the embedded IdP tells the other app (default front-channel)
 *   ESTATE_IDP_METADATA_URL=URL                 use this IdP instead of the embedded one (Keycloak: npm run
 *                                               keycloak, then …/realms/saml-sp-kit/protocol/saml/descriptor)
 *   ESTATE_IDP_PORT, ESTATE_WEBSITE_PORT, ESTATE_BILLING_PORT   ports (3000, 3001, 3002)
 *   ESTATE_APPS=website                         run only these apps (comma-separated; an external IdP only)
 *   ESTATE_HOST                                 interface to bind (127.0.0.1; 0.0.0.0 inside a container)
 *   ESTATE_PUBLIC_HOST                          host name in the URLs browsers use (localhost)
 *   CERTS_DIR                                   where each app keeps its key pair (certs/estate-<app>.*.pem)
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair, type KeyPair } from 'saml-sp-kit';
import type { DevIdp, LogoutPropagation } from 'saml-sp-kit/dev-idp';
import { z } from 'zod';
import { createEstateApp, type EstateApp } from './app.ts';
import { ESTATE_APPS, ESTATE_IDP_PORT, EstateEnv, estatePorts, loadEstateKeys } from './estate.ts';
import { createEstateIdp } from './idp.ts';

export interface EstateOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Host name in the public URLs. Default localhost (one host name for all, so SameSite=Lax cookies flow). */
  publicHost?: string;
  /** Port per app name, and `idp`. Defaults 3000 (idp), 3001 (website), 3002 (billing). */
  ports?: Partial<Record<string, number>>;
  /** The embedded IdP (default) with its propagation mode, or an external IdP's metadata (Keycloak). */
  idp?:
    | { kind: 'embedded'; logoutPropagation?: LogoutPropagation }
    | { kind: 'external'; metadataXml: string };
  /** Run only these apps (the links to the others stay). Default: every app. */
  only?: readonly string[];
  /** Each app's key pair by name. Default: generated for this run. */
  keys?: (name: string) => Promise<KeyPair>;
}

export interface RunningEstate {
  /** The embedded IdP, when it runs. */
  devIdp?: DevIdp;
  idpUrl?: string;
  apps: EstateApp[];
  close(): Promise<void>;
}

/** Starts the IdP (unless external) and the apps; `close()` stops every server it started. */
export async function startEstate(options: EstateOptions = {}): Promise<RunningEstate> {
  const host = options.host ?? '127.0.0.1';
  const publicHost = options.publicHost ?? 'localhost';
  const port = (name: string, fallback: number) => options.ports?.[name] ?? fallback;
  const urlOf = (p: number) => `http://${publicHost}:${p}`;
  const keysOf = options.keys ?? ((name: string) => generateKeyPair({ commonName: `estate ${name}` }));
  const servers: Server[] = [];
  const apps: EstateApp[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await Promise.all(apps.map((a) => a.stores.close()));
  };

  try {
    const idpOption = options.idp ?? { kind: 'embedded' };
    let idpMetadataXml: string;
    let running: Pick<RunningEstate, 'devIdp' | 'idpUrl'> = {};
    if (idpOption.kind === 'embedded') {
      const idpPort = port('idp', ESTATE_IDP_PORT);
      const estateIdp = createEstateIdp({
        baseUrl: urlOf(idpPort),
        signing: await keysOf('idp'),
        serviceProviders: async () => apps.map((a) => a.metadataXml),
        ...(idpOption.logoutPropagation ? { logoutPropagation: idpOption.logoutPropagation } : {}),
      });
      servers.push(await listen(estateIdp.app, idpPort, host));
      idpMetadataXml = estateIdp.idp.metadataXml();
      running = { devIdp: estateIdp.idp, idpUrl: urlOf(idpPort) };
    } else {
      idpMetadataXml = idpOption.metadataXml;
    }
    const urls = ESTATE_APPS.map((spec) => ({ spec, url: urlOf(port(spec.name, spec.defaultPort)) }));
    for (const { spec, url } of urls) {
      if (options.only && !options.only.includes(spec.name)) continue;
      const app = await createEstateApp({
        name: spec.name,
        title: spec.title,
        baseUrl: url,
        keys: await keysOf(spec.name),
        idpMetadataXml,
        peers: urls.filter((u) => u.spec !== spec).map((u) => ({ title: u.spec.title, url: `${u.url}/` })),
      });
      apps.push(app);
      servers.push(await listen(app.app, port(spec.name, spec.defaultPort), host));
    }
    return { ...running, apps, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function listen(app: { listen: (port: number, host: string) => Server }, port: number, host: string) {
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** The IdP's metadata from a URL, waiting for the IdP to come up (Keycloak takes a minute or two). */
async function fetchMetadata(url: string, log: (line: string) => void): Promise<string> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (res.ok && body.includes('EntityDescriptor')) return body;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`no IdP metadata at ${url} after 5 minutes`);
    log(`estate: waiting for the IdP metadata at ${url}`);
    await sleep(3000);
  }
}

async function main(): Promise<void> {
  const parsed = EstateEnv.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`estate: ${z.prettifyError(parsed.error)}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const estate = await startEstate({
    ...(env.ESTATE_HOST ? { host: env.ESTATE_HOST } : {}),
    ...(env.ESTATE_PUBLIC_HOST ? { publicHost: env.ESTATE_PUBLIC_HOST } : {}),
    ports: estatePorts(env),
    idp: env.ESTATE_IDP_METADATA_URL
      ? { kind: 'external', metadataXml: await fetchMetadata(env.ESTATE_IDP_METADATA_URL, log) }
      : { kind: 'embedded', logoutPropagation: env.ESTATE_LOGOUT ?? 'front-channel' },
    ...(env.ESTATE_APPS ? { only: env.ESTATE_APPS } : {}),
    keys: (name) => loadEstateKeys(env.CERTS_DIR, name),
  });
  log(
    [
      'The estate is up:',
      estate.idpUrl
        ? `  IdP      ${estate.idpUrl}/idp  (embedded, ${env.ESTATE_LOGOUT ?? 'front-channel'} logout; alice / alice-pass, bob / bob-pass)`
        : `  IdP      ${env.ESTATE_IDP_METADATA_URL}`,
      ...estate.apps.map((a) => `  ${a.name.padEnd(8)} ${a.baseUrl}/`),
      'Ctrl-C stops it.',
    ].join('\n'),
  );
  const stop = () => {
    estate.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`estate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
