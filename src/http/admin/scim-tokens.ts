/**
 * The admin API's SCIM token calls, mounted inside /admin/api (bearer ADMIN_TOKEN already checked):
 *
 *   POST   /organizations/:id/scim-tokens              { name? } -> 201 { id, token } (token shown once)
 *   GET    /organizations/:id/scim-tokens              list (never the token or its hash)
 *   DELETE /organizations/:id/scim-tokens/:tokenId     revoke -> 204
 */
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import type { OrganizationDirectory, ScimTokens } from '../../scim/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import type { Logger } from '../logger.ts';
import { changeContextOf } from './auth.ts';

export interface ScimAdmin {
  tokens: ScimTokens;
  organizations: OrganizationDirectory;
}

const CreateToken = z.strictObject({ name: z.string().trim().min(1).max(100).optional() });

export function scimTokensApi(scim: ScimAdmin, logger: Logger): Router {
  const router = express.Router({ mergeParams: true });

  router.post('/', async (req, res) => {
    const organizationId = await existing(scim, req);
    const parsed = CreateToken.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new AdminError(
        'ADMIN_INVALID_REQUEST',
        `Invalid token request: ${parsed.error.issues[0]?.message}`,
        {
          hint: 'Send {} or { "name": "Okta provisioning" }.',
        },
      );
    }
    const created = await scim.tokens.create(
      organizationId,
      parsed.data.name ? { name: parsed.data.name } : {},
      changeContextOf(res),
    );
    logger.info('admin.scim_token_created', { organizationId, tokenId: created.id });
    res.status(201).json({ ...created.view, token: created.token });
  });

  router.get('/', async (req, res) => {
    const organizationId = await existing(scim, req);
    res.json(await scim.tokens.list(organizationId));
  });

  router.delete('/:tokenId', async (req, res) => {
    const organizationId = await existing(scim, req);
    const token = await scim.tokens.get(String(req.params.tokenId));
    if (
      !token ||
      token.organizationId !== organizationId ||
      !(await scim.tokens.revoke(token.id, changeContextOf(res)))
    ) {
      throw new AdminError(
        'ADMIN_NOT_FOUND',
        `No live SCIM token ${req.params.tokenId} in organization ${organizationId}.`,
        {
          status: 404,
          hint: 'GET /admin/api/organizations/:id/scim-tokens lists the tokens; a revoked one cannot be revoked again.',
        },
      );
    }
    logger.info('admin.scim_token_revoked', { organizationId, tokenId: token.id });
    res.status(204).end();
  });

  return router;
}

async function existing(scim: ScimAdmin, req: Request): Promise<string> {
  const organizationId = String(req.params.id);
  if (!(await scim.organizations.exists(organizationId))) {
    throw new AdminError('ORGANIZATION_NOT_FOUND', `There is no organization "${organizationId}".`, {
      status: 404,
      hint: 'Create the organization first (POST /admin/api/organizations), or use the id GET /admin/api/organizations lists.',
    });
  }
  return organizationId;
}
