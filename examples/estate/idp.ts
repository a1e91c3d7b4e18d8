/**
 * The estate's identity provider when no Keycloak is at hand: the embedded development IdP on its own small
 * Express server, with every app registered by its SP metadata. It keeps one session per browser (cookie
 * `idp_session`, path /idp), so the second app signs in without a password, and propagates Single Logout to
 * every app that took part (front channel through the browser, or back channel over SOAP).
 */
import express from 'express';
import type { KeyPair } from 'saml-sp-kit';
import { createDevIdp, type DevIdp, type LogoutPropagation } from 'saml-sp-kit/dev-idp';

export interface EstateIdpOptions {
  /** Where the IdP's server is reached, e.g. http://localhost:3000. The IdP itself is mounted at /idp. */
  baseUrl: string;
  signing: KeyPair;
  /** Every app's SP metadata XML, asked for on each lookup (the apps start after the IdP). */
  serviceProviders: () => Promise<string[]>;
  /** Default 'front-channel'. */
  logoutPropagation?: LogoutPropagation;
}

export interface EstateIdp {
  app: express.Express;
  idp: DevIdp;
  /** The IdP metadata URL, http://…/idp/metadata (also its entity ID). */
  metadataUrl: string;
}

export function createEstateIdp(options: EstateIdpOptions): EstateIdp {
  const base = options.baseUrl.replace(/\/+$/, '');
  const idp = createDevIdp({
    baseUrl: `${base}/idp`,
    signing: options.signing,
    serviceProviders: options.serviceProviders,
    logoutPropagation: options.logoutPropagation ?? 'front-channel',
  });
  const app = express();
  app.disable('x-powered-by');
  app.use('/idp', idp.router);
  app.get('/', (_req, res) => {
    res.redirect(302, '/idp/metadata');
  });
  return { app, idp, metadataUrl: `${base}/idp/metadata` };
}
