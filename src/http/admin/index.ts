/**
 * The admin surface, mounted at /admin: the JSON API under /admin/api (bearer token) and the web page
 * (admin session cookie + CSRF). Both run on the same ConnectionService as the CLI.
 *
 * @example
 * ```ts
 * app.use('/admin', adminRouter({ connections, adminToken: process.env.ADMIN_TOKEN, testRuns }));
 * ```
 */
import express, { type Router } from 'express';
import { AdminIdentities, AuditLog } from '../../audit/index.ts';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { TraceService } from '../../trace/index.ts';
import { type Logger, silentLogger } from '../logger.ts';
import { adminApi } from './api.ts';
import { AdminSessions, LoginThrottle } from './auth.ts';
import { adminPages } from './page-routes.ts';
import { TestRuns } from './test-runs.ts';

export {
  type AdminSessionOptions,
  AdminSessions,
  changeContextOf,
  LoginThrottle,
  type LoginThrottleOptions,
  requireAdmin,
  sessionContext,
  tokenMatches,
} from './auth.ts';
export { TestRuns, type TestRunsOptions } from './test-runs.ts';

export interface AdminRouterOptions {
  connections: ConnectionService;
  /**
   * ADMIN_TOKEN, the bootstrap identity. Unset and no named token: the API answers 503 ADMIN_TOKEN_NOT_SET
   * and the page says so.
   */
  adminToken: string | undefined;
  /**
   * The audit log: the same AuditLog the ConnectionService (and every other service) records into, so the
   * API and page show what they recorded. Default: an in-memory log.
   */
  audit?: AuditLog;
  /** The named admin tokens. Default: ADMIN_TOKEN alone, named tokens in memory, recorded in `audit`. */
  identities?: AdminIdentities;
  /** Receives test sign-in results; wire `testRuns.capture` into the ServiceProvider's onSignInResult. */
  testRuns?: TestRuns;
  logger?: Logger;
  /** Admin sessions of the page. Default: in process memory; the server shares them through its stores. */
  sessions?: AdminSessions;
  /** The page's sign-in throttle. Default: in process memory; the server shares it through its stores. */
  throttle?: LoginThrottle;
  /** Setup links for the API and the page; without it those routes are 404. */
  setupLinks?: SetupLinkService;
  /** Default 'saml_sp_admin'. */
  cookieName?: string;
  /** Sign-in traces: the API's /traces calls and the page's trace views. */
  traces?: TraceService;
}

export function adminRouter(options: AdminRouterOptions): Router {
  const logger = options.logger ?? silentLogger;
  const audit = options.audit ?? new AuditLog();
  const identities = options.identities ?? new AdminIdentities({ bootstrapToken: options.adminToken, audit });
  const router = express.Router();
  router.use(
    '/api',
    adminApi({
      connections: options.connections,
      adminToken: options.adminToken,
      identities,
      audit,
      logger,
      ...(options.traces ? { traces: options.traces } : {}),
      ...(options.setupLinks ? { setupLinks: options.setupLinks } : {}),
    }),
  );
  router.use(
    adminPages({
      connections: options.connections,
      identities,
      audit,
      sessions: options.sessions ?? new AdminSessions(),
      throttle: options.throttle ?? new LoginThrottle(),
      testRuns: options.testRuns ?? new TestRuns(),
      logger,
      cookieName: options.cookieName ?? 'saml_sp_admin',
      ...(options.traces ? { traces: options.traces } : {}),
      ...(options.setupLinks ? { setupLinks: options.setupLinks } : {}),
    }),
  );
  return router;
}
