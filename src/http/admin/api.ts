/**
 * The admin JSON API (CONTRACT.md), every call behind `Authorization: Bearer $ADMIN_TOKEN`:
 *
 *   POST   /connections                       create (a name is enough: a draft) -> 201
 *   GET    /connections                       list (array of connection views)
 *   GET    /connections/:id                   one connection
 *   PATCH  /connections/:id                   change names, preset, mapping, policy, metadata, SP entity ID
 *   DELETE /connections/:id[?confirm=ID]      remove -> 204 (`confirm`, when sent, must be the id)
 *   POST   /connections/:id/metadata/refresh  re-read the metadata URL now
 *   POST   /connections/:id/activate          { override? } -> the connection, active
 *   /keys                                    the SP key ring (keys-api.ts)
 *   GET    /traces/:traceId, GET /traces?...  sign-in and logout traces (trace-api.ts)
 *   /webhooks/…                                webhook endpoints and deliveries (webhook-api.ts)
 *   /organizations...                         organizations and their domains (organization-api.ts)
 *   …      /organizations/:id/setup-links      create, list, read, revoke (setup-links-api.ts)
 *   /admin-tokens, /audit                      named admin tokens and the audit log (./audit-api.ts)
 *
 * The bearer is ADMIN_TOKEN or a named admin token; the actor it proves reaches every service call as its
 * ChangeContext, so the audit log says who did what.
 *
 * Bodies are validated with the zod schemas of src/sp/connection-input.ts; errors are
 * `{ "error": { "code", "message", "hint" } }` with a 4xx status.
 */

import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AdminIdentities, AuditLog } from '../../audit/index.ts';
import type { WebhookService } from '../../events/index.ts';
import type { KeyRing } from '../../keys/index.ts';
import type { OidcClientService } from '../../oidc/clients.ts';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { OrganizationService } from '../../sp/organization-service.ts';
import type { TraceService } from '../../trace/index.ts';
import type { Logger } from '../logger.ts';
import { auditRoutes } from './audit-api.ts';
import { changeContextOf, requireAdmin } from './auth.ts';
import { sendAdminJsonError } from './errors.ts';
import { keysApi } from './keys-api.ts';
import { oidcClientApi } from './oidc-client-api.ts';
import { organizationApi } from './organization-api.ts';
import { type ScimAdmin, scimTokensApi } from './scim-tokens.ts';
import { setupLinksApi } from './setup-links-api.ts';
import { traceApi } from './trace-api.ts';
import { webhookApi } from './webhook-api.ts';

export interface AdminApiOptions {
  connections: ConnectionService;
  /** Webhook endpoints and deliveries; without it /webhooks answers 404. */
  webhooks?: WebhookService;
  /** Organizations (/organizations routes). Default: the connection service's. */
  organizations?: OrganizationService;
  /** ADMIN_TOKEN; unset (and no named token) refuses every call with ADMIN_TOKEN_NOT_SET (503). */
  adminToken: string | undefined;
  /** The named admin tokens. Default: ADMIN_TOKEN alone, named tokens in process memory. */
  identities?: AdminIdentities;
  /** The audit log the API reads (`GET /audit`). Default: an empty in-memory one. */
  audit?: AuditLog;
  logger: Logger;
  /** Setup links (`/organizations/:id/setup-links`); without it those routes are 404. */
  setupLinks?: SetupLinkService;
  /** The SP key ring: adds the /keys routes (src/http/admin/keys-api.ts). */
  keyRing?: KeyRing;
  /** Largest JSON body. Default 2 MiB (metadata text travels inside it). */
  maxBodyBytes?: number;
  /** SCIM tokens per organization (`/organizations/:id/scim-tokens`); absent without a SCIM store. */
  scim?: ScimAdmin;
  /** Sign-in traces; without it the trace calls answer 404. */
  traces?: TraceService;
  /** The OpenID bridge's clients (/oidc-clients routes), when the bridge is on. */
  oidcClients?: OidcClientService;
}

/** Creates the API router; mount it at /admin/api. */
export function adminApi(options: AdminApiOptions): Router {
  const { connections, logger } = options;
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const audit = options.audit ?? new AuditLog();
  const identities = options.identities ?? new AdminIdentities({ bootstrapToken: options.adminToken, audit });
  router.use(requireAdmin(identities));
  router.use(express.json({ limit: options.maxBodyBytes ?? 2 * 1024 * 1024, strict: true }));
  auditRoutes(router, { identities, audit });
  if (options.oidcClients) router.use(oidcClientApi(options.oidcClients));

  router.post('/connections', async (req, res) => {
    const connection = await connections.create(body(req), changeContextOf(res));
    logger.info('admin.connection_created', { connectionId: connection.id, via: 'api' });
    res.status(201).location(`${req.baseUrl}/connections/${encodeURIComponent(connection.id)}`);
    res.json(await connections.view(connection));
  });

  router.get('/connections', async (_req, res) => {
    res.json(await connections.views());
  });

  router.get('/connections/:id', async (req, res) => {
    res.json(await connections.view(req.params.id as string));
  });

  router.patch('/connections/:id', async (req, res) => {
    const connection = await connections.update(req.params.id as string, body(req), changeContextOf(res));
    res.json(await connections.view(connection));
  });

  // The id in the URL is the confirmation an API client gives; `?confirm=ID` is a second one for scripts that
  // build the URL from a variable (a wrong or empty variable then deletes nothing).
  router.delete('/connections/:id', async (req, res) => {
    const id = req.params.id as string;
    const confirm = req.query.confirm;
    if (confirm !== undefined && confirm !== id) {
      throw new AdminError(
        'ADMIN_CONFIRMATION_REQUIRED',
        `confirm=${String(confirm)} is not the connection id.`,
        {
          hint: `Send ?confirm=${id} (the id of the connection to delete), or leave confirm out.`,
        },
      );
    }
    await connections.remove(id, changeContextOf(res));
    res.status(204).end();
  });

  router.post('/connections/:id/activate', async (req, res) => {
    const raw = req.body as { override?: unknown } | undefined;
    const override = raw?.override === true;
    if (raw?.override !== undefined && typeof raw.override !== 'boolean') {
      throw new AdminError('ADMIN_INVALID_REQUEST', 'override must be true or false.');
    }
    const connection = await connections.activate(
      req.params.id as string,
      { override },
      changeContextOf(res),
    );
    res.json(await connections.view(connection));
  });

  router.post('/connections/:id/metadata/refresh', async (req, res) => {
    const outcome = await connections.refresh(req.params.id as string, changeContextOf(res));
    const view = await connections.view(outcome.connection);
    if (!outcome.ok && outcome.error) {
      // The IdP's side failed: 502, with the failure as recorded and the connection still on its last good copy.
      res.status(502).json({ error: outcome.error.toJSON(), connection: view });
      return;
    }
    res.json({
      refreshed: outcome.ok,
      changed: outcome.changed,
      added: outcome.added,
      retained: outcome.retained,
      dropped: outcome.dropped,
      connection: view,
    });
  });

  if (options.scim) router.use('/organizations/:id/scim-tokens', scimTokensApi(options.scim, logger));
  if (options.keyRing) router.use('/keys', keysApi(options.keyRing));
  if (options.traces) router.use(traceApi({ traces: options.traces, connections, logger }));
  if (options.webhooks) router.use('/webhooks', webhookApi(options.webhooks));
  router.use(organizationApi(options.organizations ?? connections.organizations, logger));
  if (options.setupLinks) router.use(setupLinksApi(options.setupLinks, logger));

  router.use((req, _res, next) => {
    next(new AdminError('ADMIN_NOT_FOUND', `No admin API route ${req.method} ${req.path}.`, { status: 404 }));
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendAdminJsonError(req, res, err, logger);
  });
  return router;
}

/** The JSON body, which must be an object (arrays and scalars are refused by the schemas anyway). */
function body<T>(req: Request): T {
  if (!req.is('application/json')) {
    throw new AdminError('ADMIN_INVALID_REQUEST', 'The request body must be JSON.', {
      hint: 'Send Content-Type: application/json.',
      status: 415,
    });
  }
  return req.body as T;
}
