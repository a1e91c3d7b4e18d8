/**
 * The admin JSON API (CONTRACT.md), every call behind `Authorization: Bearer $ADMIN_TOKEN`:
 *
 *   POST   /connections                       create from metadataXml or metadataUrl -> 201
 *   GET    /connections                       list (array of connection views)
 *   GET    /connections/:id                   one connection
 *   PATCH  /connections/:id                   change names, preset, mapping, policy, metadata
 *   DELETE /connections/:id                   remove -> 204
 *   POST   /connections/:id/metadata/refresh  re-read the metadata URL now
 *   GET    /traces/:traceId, GET /traces?...  sign-in and logout traces (trace-api.ts)
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
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { OrganizationService } from '../../sp/organization-service.ts';
import type { TraceService } from '../../trace/index.ts';
import type { Logger } from '../logger.ts';
import { auditRoutes } from './audit-api.ts';
import { changeContextOf, requireAdmin } from './auth.ts';
import { sendAdminJsonError } from './errors.ts';
import { organizationApi } from './organization-api.ts';
import { setupLinksApi } from './setup-links-api.ts';
import { traceApi } from './trace-api.ts';

export interface AdminApiOptions {
  connections: ConnectionService;
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
  /** Largest JSON body. Default 2 MiB (metadata text travels inside it). */
  maxBodyBytes?: number;
  /** Sign-in traces; without it the trace calls answer 404. */
  traces?: TraceService;
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

  router.delete('/connections/:id', async (req, res) => {
    await connections.remove(req.params.id as string, changeContextOf(res));
    res.status(204).end();
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

  if (options.traces) router.use(traceApi({ traces: options.traces, connections, logger }));
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
