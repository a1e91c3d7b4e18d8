/**
 * One app of the estate: a small Express app that embeds saml-sp-kit through its public library API. Each app
 * is its own SAML SP (own entity ID, keys, sessions, users, session cookie) with one connection, `idp`, to the
 * IdP every app of the estate shares. The IdP's session gives single sign-on between them; SAML Single Logout
 * ends every app's session when the user signs out of one.
 */
import express from 'express';
import {
  accountRoutes,
  connectionFromMetadata,
  currentSession,
  type KeyPair,
  openStores,
  type PresetName,
  ServiceProvider,
  type Stores,
  samlRouter,
} from 'saml-sp-kit';
import { appPage } from './page.ts';

/** The connection id every estate app uses for the shared IdP: /saml/idp/login, /saml/idp/acs, /saml/idp/slo. */
export const CONNECTION_ID = 'idp';

export interface EstateAppOptions {
  /** Short name, e.g. `website`; the session cookie is `${name}_session`. */
  name: string;
  title: string;
  /** External base URL, e.g. http://localhost:3001. The SP entity ID is this URL too. */
  baseUrl: string;
  /** This app's SAML signing key pair (also its encryption key). */
  keys: KeyPair;
  /** The shared IdP's metadata XML. */
  idpMetadataXml: string;
  /** Attribute names of the IdP: `keycloak` fits both Keycloak and the embedded development IdP. */
  preset?: PresetName;
  /** The other apps, for the links between them. */
  peers?: readonly { title: string; url: string }[];
  /** Default `memory:`; `sqlite:PATH` keeps users and sessions across restarts. */
  databaseUrl?: string;
}

export interface EstateApp {
  name: string;
  baseUrl: string;
  app: express.Express;
  sp: ServiceProvider;
  stores: Stores;
  cookieName: string;
  /** This app's signed SP metadata, for the IdP (fixed for the app's lifetime). */
  metadataXml: string;
}

/** Builds one estate app. Listening is the caller's business (see main.ts). */
export async function createEstateApp(options: EstateAppOptions): Promise<EstateApp> {
  const cookieName = `${options.name}_session`;
  const stores = await openStores({ databaseUrl: options.databaseUrl ?? 'memory:' });
  const sp = new ServiceProvider({
    baseUrl: options.baseUrl,
    entityId: options.baseUrl,
    keys: { signing: options.keys, encryption: options.keys },
    stores,
  });
  await stores.connections.put(
    connectionFromMetadata(
      {
        id: CONNECTION_ID,
        displayName: 'Estate IdP',
        metadataXml: options.idpMetadataXml,
        preset: options.preset ?? 'keycloak',
      },
      new Date(),
    ),
  );

  // Cookies are scoped by host name, not port: every app of the estate on localhost needs its own cookie name.
  const app = express();
  app.disable('x-powered-by');
  app.use('/saml', samlRouter(sp, { sessionCookieName: cookieName }));
  app.use(accountRoutes(sp, { sessionCookieName: cookieName }));
  app.get('/', async (req, res) => {
    const current = await currentSession(sp, req, cookieName);
    res.set('Cache-Control', 'no-store').type('html');
    res.send(
      appPage({
        title: options.title,
        user: current
          ? {
              name: current.user.displayName ?? current.user.email ?? current.user.nameId,
              email: current.user.email,
            }
          : undefined,
        signInUrl: `/saml/${CONNECTION_ID}/login?returnTo=/`,
        peers: options.peers ?? [],
      }),
    );
  });

  // Also served at /saml/idp/metadata; an IdP that reads metadata from a URL (Keycloak can) uses that.
  const metadataXml = await sp.metadata(CONNECTION_ID);
  return {
    name: options.name,
    baseUrl: sp.baseUrl,
    app,
    sp,
    stores,
    cookieName,
    metadataXml,
  };
}
