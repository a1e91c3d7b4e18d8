/**
 * The embedded development IdP (`saml-sp-kit/dev-idp`): a samlify-based SAML IdP with test users, mounted next to
 * the SP so that `npm start` signs in with nothing else installed, and so that HTTP tests have a real peer.
 */
export { createDevIdp, type DevIdp, type DevIdpOptions } from './idp.ts';
export type {
  IdpLogoutDispatch,
  LogoutResponseRecord,
  LogoutUserOptions,
  SoapLogoutAnswer,
} from './logout.ts';
export type { DevIdpLogoutBinding, DevIdpLogoutMessage, LogoutRequestOverrides } from './logout-messages.ts';
export type { LogoutPropagation } from './logout-propagation.ts';
export type { ResponseOverrides } from './response.ts';
export type { DevIdpSignatureAlgorithm } from './samlify.ts';
export type { ServiceProviderSource } from './service-providers.ts';
export type { IdpSession, SessionParticipant } from './sessions.ts';
export { DEV_IDP_USERS, type DevIdpUser } from './users.ts';
