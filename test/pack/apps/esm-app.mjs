// An ES module app using the installed package: the three entry points, stores, keys and a stable error code.
import { generateKeyPair, isSamlSpError, openStores, parseIdpMetadata, ServiceProvider } from 'saml-sp-kit';
import { createDevIdp, DEV_IDP_USERS } from 'saml-sp-kit/dev-idp';
import { samlRouter } from 'saml-sp-kit/express';

const stores = await openStores({ databaseUrl: 'sqlite::memory:' });
const signing = await generateKeyPair({ commonName: 'esm app' });
const sp = new ServiceProvider({
  baseUrl: 'http://localhost:3000',
  entityId: 'http://localhost:3000/sp',
  keys: { signing, encryption: signing },
  stores,
});
const idp = createDevIdp({ baseUrl: 'http://localhost:3000/idp', signing, serviceProviders: () => [] });
let code;
try {
  parseIdpMetadata('<not-metadata/>');
} catch (error) {
  code = isSamlSpError(error) ? error.code : String(error);
}
console.log(
  JSON.stringify({
    serviceProvider: typeof ServiceProvider,
    router: typeof samlRouter(sp),
    idpEntityId: parseIdpMetadata(idp.metadataXml()).entityId === idp.entityId,
    users: DEV_IDP_USERS.map((u) => u.username),
    code,
  }),
);
await stores.close();
