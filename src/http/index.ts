/** Express adapters: mount these in your app. */
export { type AccountRoutesOptions, accountRoutes, meJson } from './account-routes.ts';
export { type AdminRouterOptions, adminRouter } from './admin/index.ts';
export { testSignInCookieName } from './browser-key.ts';
export { type CurrentSession, currentSession } from './current-session.ts';
export { type EndUserContext, errorFamily, renderEndUserErrorPage } from './end-user-page.ts';
export {
  type DescribedError,
  describeError,
  errorHandler,
  methodNotAllowed,
  notFoundHandler,
  sendError,
} from './error-response.ts';
export { sendSamlError } from './errors.ts';
export { type HealthRoutesOptions, healthRoutes } from './health.ts';
export { homePage } from './home-page.ts';
export { currentTraceId, logContext, setTraceId } from './log-context.ts';
export { createLogger, type Logger, silentLogger } from './logger.ts';
export { SamlSpStrategy, type SamlSpStrategyOptions } from './passport-strategy.ts';
export { DEFAULT_SESSION_COOKIE, type SamlRouterOptions, samlRouter } from './saml-router.ts';
export { type SloRouterOptions, sloRouter } from './slo-router.ts';
export { bindingCookieName, sendTestSignIn } from './test-sign-in-routes.ts';
