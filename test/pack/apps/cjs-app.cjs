// A CommonJS Express app that embeds saml-sp-kit with require(): its own Express app mounts samlRouter and
// accountRoutes, and the embedded development IdP (saml-sp-kit/dev-idp) on the same port is its identity
// provider. Its SQLite file lives in its working directory (data/app.db). PORT comes from the environment.
const express = require('express');
const { ServiceProvider, openStores, generateKeyPair, connectionFromMetadata } = require('saml-sp-kit');
const { samlRouter, accountRoutes } = require('saml-sp-kit/express');
const { createDevIdp } = require('saml-sp-kit/dev-idp');

async function main() {
  const port = Number(process.env.PORT);
  const baseUrl = `http://localhost:${port}`;
  const stores = await openStores({ databaseUrl: 'sqlite:data/app.db' });
  const signing = await generateKeyPair({ commonName: 'cjs app SP' });
  const sp = new ServiceProvider({
    baseUrl,
    entityId: `${baseUrl}/sp`,
    keys: { signing, encryption: signing },
    stores,
  });
  const idp = createDevIdp({
    baseUrl: `${baseUrl}/idp`,
    signing: await generateKeyPair({ commonName: 'cjs app IdP' }),
    serviceProviders: async () => [await sp.metadata('corp')],
  });
  await stores.connections.put(
    connectionFromMetadata({ id: 'corp', metadataXml: idp.metadataXml(), preset: 'keycloak' }, new Date()),
  );

  const app = express();
  app.use('/idp', idp.router);
  app.use('/saml', samlRouter(sp));
  app.use(accountRoutes(sp));
  app.get('/', (_req, res) => res.send('my own app'));
  app.listen(port, '127.0.0.1', () => console.log(`ready ${baseUrl}`));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
