// A TypeScript ES module app: type-checked (never run) with moduleResolution nodenext and bundler.
import express from 'express';
import {
  generateKeyPair,
  isSamlSpError,
  openStores,
  type SamlSpError,
  ServiceProvider,
  type Stores,
  type validateResponse,
} from 'saml-sp-kit';
import { createDevIdp, type DevIdp } from 'saml-sp-kit/dev-idp';
import { accountRoutes, SamlSpStrategy, samlRouter } from 'saml-sp-kit/express';

type IsAny<T> = 0 extends 1 & T ? true : false;

const stores: Stores = await openStores({ databaseUrl: 'memory:' });
const signing = await generateKeyPair({ commonName: 'ts app' });
const sp = new ServiceProvider({
  baseUrl: 'http://localhost:3000',
  entityId: 'http://localhost:3000/sp',
  keys: { signing, encryption: signing },
  stores,
});
const app = express();
app.use('/saml', samlRouter(sp));
app.use(accountRoutes(sp));
const idp: DevIdp = createDevIdp({
  baseUrl: 'http://localhost:3000/idp',
  signing,
  serviceProviders: () => [],
});
app.use('/idp', idp.router);
const strategy = new SamlSpStrategy(sp);

function codeOf(error: unknown): SamlSpError['code'] | undefined {
  return isSamlSpError(error) ? error.code : undefined;
}

// None of the public types the app touches may be `any` (an unresolved import would silently make them so).
const notAny: [
  IsAny<typeof sp>,
  IsAny<typeof stores.connections>,
  IsAny<ReturnType<typeof samlRouter>>,
  IsAny<typeof idp.router>,
  IsAny<typeof strategy>,
  IsAny<ReturnType<typeof codeOf>>,
  IsAny<Parameters<typeof validateResponse>[1]>,
] = [false, false, false, false, false, false, false];

// @ts-expect-error baseUrl is a string: proves the types are real, not any.
new ServiceProvider({ baseUrl: 42, entityId: 'x', keys: { signing, encryption: signing }, stores });

export { notAny };
