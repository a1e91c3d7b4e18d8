/**
 * Embedding saml-sp-kit in your own Express app: your users, your pages, our SAML.
 *
 * Run it: `node examples/embed-in-express/app.ts` (Node 24), then open http://localhost:4000. It signs in
 * through an IdP given by IDP_METADATA_FILE, or through the embedded development IdP when none is given.
 */
import express from 'express';
import {
  accountRoutes,
  connectionFromMetadata,
  currentSession,
  generateKeyPair,
  openStores,
  ServiceProvider,
  samlRouter,
  type UserRecord,
} from 'saml-sp-kit';

export interface ExampleOptions {
  baseUrl: string;
  /** IdP metadata XML for the connection `acme`. */
  idpMetadataXml: string;
}

/** The whole integration: a ServiceProvider, a connection, two routers and your own user table. */
export async function createExampleApp(options: ExampleOptions) {
  const stores = await openStores({ databaseUrl: 'memory:' });
  const keys = {
    signing: await generateKeyPair({ commonName: 'example SP' }),
    encryption: await generateKeyPair({ commonName: 'example SP enc' }),
  };

  // Your own user table: saml-sp-kit hands you verified, mapped facts and you decide what a user is.
  const myUsers = new Map<string, UserRecord>();
  const sp = new ServiceProvider({
    baseUrl: options.baseUrl,
    entityId: `${options.baseUrl}/sp`,
    keys,
    stores,
    findOrCreateUser: async ({ connection, assertion, profile }) => {
      const key = `${connection.id}|${assertion.nameId.value}`;
      const now = new Date().toISOString();
      const user: UserRecord = {
        id: myUsers.get(key)?.id ?? `user-${myUsers.size + 1}`,
        connectionId: connection.id,
        nameId: assertion.nameId.value,
        groups: profile.groups,
        attributes: assertion.attributes,
        ...(profile.email ? { email: profile.email } : {}),
        ...(profile.displayName ? { displayName: profile.displayName } : {}),
        createdAt: myUsers.get(key)?.createdAt ?? now,
        updatedAt: now,
        lastLoginAt: now,
      };
      myUsers.set(key, user);
      return user;
    },
    getUser: async (id) => [...myUsers.values()].find((u) => u.id === id),
  });

  await stores.connections.put(
    connectionFromMetadata(
      { id: 'acme', displayName: 'ACME Corp', metadataXml: options.idpMetadataXml, preset: 'keycloak' },
      new Date(),
    ),
  );

  const app = express();
  app.use('/saml', samlRouter(sp, { sessionCookieName: 'example_session' }));
  app.use(accountRoutes(sp, { sessionCookieName: 'example_session' }));
  app.get('/', async (req, res) => {
    const current = await currentSession(sp, req, 'example_session');
    res
      .type('text')
      .send(
        current
          ? `Hello ${current.user.displayName ?? current.user.email}`
          : 'Hello stranger: /saml/acme/login',
      );
  });
  return { app, sp, stores, myUsers };
}
