/**
 * The SCIM 2.0 HTTP surface, mounted at `/scim/v2` (CONTRACT.md): `/:organizationId/Users`, `/Groups`,
 * `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`. Thin: it authenticates the organization's bearer
 * token, reads the query and headers, calls the services, and answers `application/scim+json`. Every refusal
 * is an RFC 7644 error document with its status and scimType; a store that is down is a 503, never a 500.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../http/logger.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import { scimBase } from './context.ts';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { ScimError } from './errors.ts';
import type { ScimGroups } from './groups.ts';
import { listResponse, readListQuery } from './list.ts';
import type { OrganizationDirectory } from './organizations.ts';
import { attributeList, project } from './projection.ts';
import { etag } from './resources.ts';
import type { ScimTokens } from './tokens.ts';
import type { ScimUsers, Versioned } from './users.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json';
/** The largest request body: a group PATCH of 1,000 members is about 60 KiB. */
export const MAX_SCIM_BODY_BYTES = 1024 * 1024;

export interface ScimRouterOptions {
  users: ScimUsers;
  groups: ScimGroups;
  tokens: ScimTokens;
  organizations: OrganizationDirectory;
  baseUrl: string;
  logger: Logger;
}

interface ScimLocals {
  organizationId: string;
  context: ChangeContext;
}

type Resources = Pick<ScimUsers, 'create' | 'get' | 'replace' | 'patch' | 'delete' | 'list'>;

/**
 * @example
 * ```ts
 * app.use('/scim/v2', scimRouter({ users, groups, tokens, organizations, baseUrl, logger }));
 * ```
 */
export function scimRouter(options: ScimRouterOptions): Router {
  const router = express.Router();
  const org = express.Router({ mergeParams: true });
  router.use('/:organizationId', org);

  org.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  org.use(authenticate(options));
  org.use(
    express.json({
      type: [SCIM_CONTENT_TYPE, 'application/json'],
      limit: MAX_SCIM_BODY_BYTES,
      strict: true,
    }),
  );

  const base = (res: Response) => scimBase(options.baseUrl, locals(res).organizationId);
  org.get('/ServiceProviderConfig', (_req, res) => send(res, 200, serviceProviderConfig(base(res))));
  org.get('/ResourceTypes', (_req, res) => {
    const all = resourceTypes(base(res));
    send(res, 200, listResponse(all.length, 0, all));
  });
  org.get('/ResourceTypes/:id', (req, res) => {
    const found = resourceTypes(base(res)).find((r) => r.id === req.params.id);
    if (!found) throw new ScimError(404, `No resource type ${JSON.stringify(req.params.id)}.`);
    send(res, 200, found);
  });
  org.get('/Schemas', (_req, res) => {
    const all = schemas(base(res));
    send(res, 200, listResponse(all.length, 0, all));
  });
  org.get('/Schemas/:id', (req, res) => {
    const found = schemas(base(res)).find((s) => s.id === req.params.id);
    if (!found) throw new ScimError(404, `No schema ${JSON.stringify(req.params.id)}.`);
    send(res, 200, found);
  });

  resourceRoutes(org, '/Users', options.users);
  resourceRoutes(org, '/Groups', options.groups);

  org.use((req, _res, next) => {
    next(new ScimError(404, `No SCIM endpoint ${req.method} ${req.baseUrl}${req.path}.`));
  });
  org.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(req, res, err, options.logger);
  });
  return router;
}

function resourceRoutes(router: Router, path: string, service: Resources): void {
  router.get(path, async (req, res) => {
    const query = readListQuery(req.query as Record<string, unknown>);
    const { total, resources } = await service.list(locals(res).organizationId, query);
    const shaped = resources.map((r) => shape(req, r));
    send(res, 200, listResponse(total, query.offset, shaped));
  });
  router.post(path, async (req, res) => {
    const { organizationId, context } = locals(res);
    const created = await service.create(organizationId, body(req), context);
    res.location(String((created.resource.meta as { location: string }).location));
    sendVersioned(req, res, 201, created);
  });
  router.get(`${path}/:id`, async (req, res) => {
    const found = await service.get(locals(res).organizationId, String(req.params.id));
    if (
      req
        .get('if-none-match')
        ?.split(',')
        .some((t) => t.trim() === etag(found.version))
    ) {
      res.setHeader('ETag', etag(found.version));
      res.status(304).end();
      return;
    }
    sendVersioned(req, res, 200, found);
  });
  router.put(`${path}/:id`, async (req, res) => {
    const { organizationId, context } = locals(res);
    const id = String(req.params.id);
    sendVersioned(req, res, 200, await service.replace(organizationId, id, body(req), ifMatch(req), context));
  });
  router.patch(`${path}/:id`, async (req, res) => {
    const { organizationId, context } = locals(res);
    const id = String(req.params.id);
    sendVersioned(req, res, 200, await service.patch(organizationId, id, body(req), ifMatch(req), context));
  });
  router.delete(`${path}/:id`, async (req, res) => {
    const { organizationId, context } = locals(res);
    await service.delete(organizationId, String(req.params.id), ifMatch(req), context);
    res.status(204).end();
  });
}

/**
 * `Authorization: Bearer scim_…` of this organization. Unknown organization and wrong token get the same 401,
 * so a stranger cannot enumerate organizations.
 */
function authenticate(options: ScimRouterOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const organizationId = String(req.params.organizationId);
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
      const tokenId =
        presented === undefined ? undefined : await options.tokens.verify(presented, organizationId);
      if (tokenId === undefined || !(await options.organizations.exists(organizationId))) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="scim"');
        throw new ScimError(
          401,
          "Missing or wrong bearer token. Create one for this organization (POST /admin/api/organizations/:id/scim-tokens) and paste it into the IdP's provisioning settings (Okta: API Token; Entra ID: Secret Token).",
        );
      }
      const scimLocals: ScimLocals = {
        organizationId,
        context: { actor: { kind: 'scim-token', name: tokenId } },
      };
      res.locals.scim = scimLocals;
      next();
    } catch (error) {
      next(error);
    }
  };
}

function locals(res: Response): ScimLocals {
  return res.locals.scim as ScimLocals;
}

function body(req: Request): unknown {
  if (!req.is(SCIM_CONTENT_TYPE) && !req.is('application/json')) {
    throw new ScimError(415, `Send the body as ${SCIM_CONTENT_TYPE} (or application/json).`, 'invalidSyntax');
  }
  return req.body;
}

function ifMatch(req: Request): string | undefined {
  return req.get('if-match') ?? undefined;
}

function shape(req: Request, resource: Record<string, unknown>): Record<string, unknown> {
  const attributes = attributeList(req.query.attributes);
  const excluded = attributeList(req.query.excludedAttributes);
  return project(resource, { ...(attributes ? { attributes } : {}), ...(excluded ? { excluded } : {}) });
}

function sendVersioned(req: Request, res: Response, status: number, v: Versioned): void {
  res.setHeader('ETag', etag(v.version));
  send(res, status, shape(req, v.resource));
}

function send(res: Response, status: number, json: unknown): void {
  res.status(status).type(`${SCIM_CONTENT_TYPE}; charset=utf-8`).send(JSON.stringify(json));
}

function sendError(req: Request, res: Response, err: unknown, logger: Logger): void {
  let error: ScimError;
  if (err instanceof ScimError) {
    error = err;
  } else if (isStoreUnavailable(err)) {
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
    error = new ScimError(503, `${err.message} (${err.code}); retry later.`);
  } else if (isBodyParserError(err)) {
    error =
      err.type === 'entity.too.large'
        ? new ScimError(413, `The body is larger than ${MAX_SCIM_BODY_BYTES} bytes.`, 'tooMany')
        : new ScimError(400, `The body is not valid JSON: ${err.message}`, 'invalidSyntax');
  } else {
    logger.error('scim.unexpected_error', {
      method: req.method,
      path: req.originalUrl.split('?')[0],
      message: err instanceof Error ? err.message : String(err),
    });
    error = new ScimError(500, 'The SCIM service failed unexpectedly; the server log has the details.');
  }
  if (error.status >= 500 && error.status !== 500) {
    logger.warn('scim.unavailable', { status: error.status, message: error.message });
  }
  if (res.headersSent) return;
  send(res, error.status, error.toJSON());
}

function isBodyParserError(err: unknown): err is Error & { type: string } {
  return err instanceof Error && typeof (err as { type?: unknown }).type === 'string' && 'status' in err;
}
