/**
 * The setup-link calls of the admin API (issue #12 item 3), mounted by {@link adminApi} behind its bearer token:
 *
 *   POST   /organizations/:id/setup-links            { expiresInDays? } -> 201 { id, url, expiresAt }
 *   GET    /organizations/:id/setup-links            the organization's links (never their tokens)
 *   GET    /organizations/:id/setup-links/:linkId    one link with its use log
 *   DELETE /organizations/:id/setup-links/:linkId    revoke -> 200 with the revoked link
 */
import express, { type Request, type Router } from 'express';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { Logger } from '../logger.ts';
import { changeContextOf } from './auth.ts';

export function setupLinksApi(links: SetupLinkService, logger: Logger): Router {
  const router = express.Router();

  router.post('/organizations/:id/setup-links', async (req, res) => {
    const organizationId = req.params.id as string;
    const created = await links.create(organizationId, optionalJson(req), changeContextOf(res));
    logger.info('admin.setup_link_created', { linkId: created.id, organizationId, via: 'api' });
    res
      .status(201)
      .location(
        `${req.baseUrl}/organizations/${encodeURIComponent(organizationId)}/setup-links/${created.id}`,
      );
    res.json(created);
  });

  router.get('/organizations/:id/setup-links', async (req, res) => {
    res.json(await links.list(req.params.id as string));
  });

  router.get('/organizations/:id/setup-links/:linkId', async (req, res) => {
    res.json(await links.get(req.params.linkId as string, req.params.id as string));
  });

  router.delete('/organizations/:id/setup-links/:linkId', async (req, res) => {
    res.json(await links.revoke(req.params.linkId as string, changeContextOf(res), req.params.id as string));
  });

  return router;
}

/** The body is optional here (every field has a default); when present it must be JSON. */
function optionalJson(req: Request): unknown {
  if (req.headers['content-length'] === '0' || req.body === undefined) return {};
  if (!req.is('application/json')) {
    throw new AdminError('ADMIN_INVALID_REQUEST', 'The request body must be JSON.', {
      hint: 'Send Content-Type: application/json, or no body for the defaults.',
      status: 415,
    });
  }
  return req.body;
}
