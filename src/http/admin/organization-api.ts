/**
 * The organizations part of the admin JSON API (CONTRACT.md), mounted inside the admin API router (bearer
 * token and JSON body parsing already applied there):
 *
 *   POST   /organizations                               { id?, name, domains?, policy? } -> 201
 *   GET    /organizations                               list
 *   GET    /organizations/:id                           one organization
 *   PATCH  /organizations/:id                           { name?, domains? (the full list), policy? }
 *   DELETE /organizations/:id                           -> 204; 409 ORGANIZATION_HAS_CONNECTIONS while it owns any
 *   POST   /organizations/:id/domains                   { domain } -> 201, claims a domain (unverified)
 *   DELETE /organizations/:id/domains/:domain           gives it up
 *   POST   /organizations/:id/domains/:domain/verify    { method?: 'dns' | 'admin' }
 *
 * Organizations answer as views: the record, each domain's DNS challenge, the ids of the connections it owns.
 */
import express, { type Request, type Router } from 'express';
import { AdminError } from '../../sp/admin-errors.ts';
import { parseInput } from '../../sp/connection-input.ts';
import { addDomainSchema, verifyDomainSchema } from '../../sp/organization-input.ts';
import type { OrganizationService } from '../../sp/organization-service.ts';
import type { Logger } from '../logger.ts';
import { changeContextOf } from './auth.ts';

/** The routes; mount inside the admin API router, which authenticates and parses JSON. */
export function organizationApi(organizations: OrganizationService, logger: Logger): Router {
  const router = express.Router();

  router.post('/organizations', async (req, res) => {
    const organization = await organizations.create(body(req), changeContextOf(res));
    logger.info('admin.organization_created', { organizationId: organization.id, via: 'api' });
    res.status(201).location(`${req.baseUrl}/organizations/${encodeURIComponent(organization.id)}`);
    res.json(await organizations.view(organization));
  });

  router.get('/organizations', async (_req, res) => {
    res.json(await organizations.views());
  });

  router.get('/organizations/:id', async (req, res) => {
    res.json(await organizations.view(param(req, 'id')));
  });

  router.patch('/organizations/:id', async (req, res) => {
    res.json(
      await organizations.view(await organizations.update(param(req, 'id'), body(req), changeContextOf(res))),
    );
  });

  router.delete('/organizations/:id', async (req, res) => {
    await organizations.remove(param(req, 'id'), changeContextOf(res));
    res.status(204).end();
  });

  router.post('/organizations/:id/domains', async (req, res) => {
    const { domain } = parseInput(addDomainSchema, body(req));
    const organization = await organizations.addDomain(param(req, 'id'), domain, changeContextOf(res));
    res.status(201).json(await organizations.view(organization));
  });

  router.delete('/organizations/:id/domains/:domain', async (req, res) => {
    const organization = await organizations.removeDomain(
      param(req, 'id'),
      param(req, 'domain'),
      changeContextOf(res),
    );
    res.json(await organizations.view(organization));
  });

  router.post('/organizations/:id/domains/:domain/verify', async (req, res) => {
    const { method } = parseInput(verifyDomainSchema, req.body ?? {});
    const id = param(req, 'id');
    const domain = param(req, 'domain');
    const organization =
      method === 'admin'
        ? await organizations.markDomainVerified(id, domain, changeContextOf(res))
        : await organizations.verifyDomain(id, domain, changeContextOf(res));
    res.json(await organizations.view(organization));
  });

  return router;
}

function param(req: Request, name: string): string {
  return req.params[name] as string;
}

function body<T>(req: Request): T {
  if (!req.is('application/json')) {
    throw new AdminError('ADMIN_INVALID_REQUEST', 'The request body must be JSON.', {
      hint: 'Send Content-Type: application/json.',
      status: 415,
    });
  }
  return req.body as T;
}
