/**
 * The admin surface, mounted at /admin: the JSON API under /admin/api (bearer token) and the web page
 * (admin session cookie + CSRF). Both run on the same ConnectionService as the CLI.
 *
 * @example
 * ```ts
 * const tests = new TestSignIns({ connections });
 * app.use('/saml', samlRouter(sp, { testSignIns: tests }));
 * app.use('/admin', adminRouter({ connections, adminToken: process.env.ADMIN_TOKEN, tests }));
 * ```
 */

import express, { type Router } from 'express';
import { AdminIdentities, AuditLog } from '../../audit/index.ts';
import type { WebhookService } from '../../events/index.ts';
import type { KeyRing } from '../../keys/index.ts';
import type { OidcClientService } from '../../oidc/clients.ts';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import { TestSignIns } from '../../sp/test-sign-in.ts';
import type { TraceService } from '../../trace/index.ts';
import { type Logger, silentLogger } from '../logger.ts';
import { adminApi } from './api.ts';
import { AdminSessions, LoginThrottle } from './auth.ts';
import { adminPages } from './page-routes.ts';
import type { ScimAdmin } from './scim-tokens.ts';

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

export interface AdminRouterOptions {
  connections: ConnectionService;
  /** Webhook endpoints and deliveries (API under /admin/api/webhooks, page under /admin/webhooks). */
  webhooks?: WebhookService;
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
  /**
   * Test sign-ins. Pass the same object to `samlRouter({ testSignIns })`: the ACS hands their responses to it.
   * Default: a new one in process memory, which the SAML router does not know, so tests would never finish.
   */
  tests?: TestSignIns;
  /** The SAML router's session cookie name, when not the default (the test's binding cookie derives from it). */
  sessionCookieName?: string;
  logger?: Logger;
  /** Admin sessions of the page. Default: in process memory; the server shares them through its stores. */
  sessions?: AdminSessions;
  /** The page's sign-in throttle. Default: in process memory; the server shares it through its stores. */
  throttle?: LoginThrottle;
  /** Setup links for the API and the page; without it those routes are 404. */
  setupLinks?: SetupLinkService;
  /** Default 'saml_sp_admin'. */
  cookieName?: string;
  /** SCIM tokens per organization (admin API); absent without a SCIM store. */
  scim?: ScimAdmin;
  /** The SP key ring: the /api/keys routes and the Keys page. */
  keyRing?: KeyRing;
  /** Sign-in traces: the API's /traces calls and the page's trace views. */
  traces?: TraceService;
  /** The OpenID bridge's clients, when the bridge is on (`/admin/api/oidc-clients`). */
  oidcClients?: OidcClientService;
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
      ...(options.keyRing ? { keyRing: options.keyRing } : {}),
      identities,
      audit,
      logger,
      ...(options.traces ? { traces: options.traces } : {}),
      ...(options.setupLinks ? { setupLinks: options.setupLinks } : {}),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      ...(options.scim ? { scim: options.scim } : {}),
      ...(options.oidcClients ? { oidcClients: options.oidcClients } : {}),
    }),
  );
  router.use(
    adminPages({
      connections: options.connections,
      identities,
      audit,
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      sessions: options.sessions ?? new AdminSessions(),
      throttle: options.throttle ?? new LoginThrottle(),
      tests: options.tests ?? new TestSignIns({ connections: options.connections }),
      ...(options.sessionCookieName ? { sessionCookieName: options.sessionCookieName } : {}),
      logger,
      cookieName: options.cookieName ?? 'saml_sp_admin',
      ...(options.scim ? { scim: options.scim } : {}),
      ...(options.keyRing ? { keyRing: options.keyRing } : {}),
      ...(options.traces ? { traces: options.traces } : {}),
      ...(options.setupLinks ? { setupLinks: options.setupLinks } : {}),
    }),
  );
  return router;
}
