/**
 * The admin page's SCIM section (issue #14): `/admin/organizations/:id/scim` lists the organization's SCIM
 * tokens, creates one (shown once, on the page that answers the form) and revokes one. Mounted by
 * page-routes.ts with its session, CSRF and flash helpers, so these routes follow the page's rules.
 */
import type { Request, Response, Router } from 'express';
import type { ScimTokenView } from '../../scim/index.ts';
import { AdminError } from '../../sp/admin-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { type AdminSession, sessionContext } from './auth.ts';
import { adminPage, csrfField, sendAdminPage } from './pages/layout.ts';
import type { ScimAdmin } from './scim-tokens.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface ScimPageHelpers {
  scim: ScimAdmin;
  baseUrl: string;
  /** Reads a form body for a signed-in admin only. */
  form: ((req: Request, res: Response, next: () => void) => unknown)[];
  signedIn: (handler: Handler) => (req: Request, res: Response) => Promise<void>;
  takeFlash: (session: AdminSession) => Promise<AdminSession['flash']>;
  save: (session: AdminSession) => Promise<void>;
}

export function scimTokenPages(router: Router, h: ScimPageHelpers): void {
  const organizationOf = async (req: Request): Promise<string> => {
    const id = String(req.params.id);
    if (!(await h.scim.organizations.exists(id))) {
      throw new AdminError('ORGANIZATION_NOT_FOUND', `There is no organization "${id}".`, { status: 404 });
    }
    return id;
  };
  const show = async (
    res: Response,
    session: AdminSession,
    id: string,
    created?: { id: string; token: string },
  ) => {
    const tokens = await h.scim.tokens.list(id);
    const body = scimSection(
      id,
      `${h.baseUrl}/scim/v2/${encodeURIComponent(id)}`,
      tokens,
      session.csrfToken,
      created,
    );
    const flash = await h.takeFlash(session);
    sendAdminPage(
      res,
      200,
      adminPage(`SCIM: ${id}`, body, { csrfToken: session.csrfToken, ...(flash ? { flash } : {}) }),
    );
  };

  router.get(
    '/organizations/:id/scim',
    h.signedIn(async (req, res, session) => {
      await show(res, session, await organizationOf(req));
    }),
  );

  router.post(
    '/organizations/:id/scim/tokens',
    ...h.form,
    h.signedIn(async (req, res, session) => {
      const id = await organizationOf(req);
      const name = String((req.body as Record<string, unknown>).name ?? '')
        .trim()
        .slice(0, 100);
      const created = await h.scim.tokens.create(id, name ? { name } : {}, sessionContext(session));
      // Answered directly, not by a redirect: the token must not travel through the session or a URL.
      res.setHeader('Cache-Control', 'no-store');
      await show(res, session, id, created);
    }),
  );

  router.post(
    '/organizations/:id/scim/tokens/:tokenId/revoke',
    ...h.form,
    h.signedIn(async (req, res, session) => {
      const id = await organizationOf(req);
      const token = await h.scim.tokens.get(String(req.params.tokenId));
      const revoked =
        token?.organizationId === id && (await h.scim.tokens.revoke(token.id, sessionContext(session)));
      session.flash = revoked
        ? { kind: 'ok', text: `SCIM token ${token?.id} revoked.` }
        : { kind: 'error', text: 'No live SCIM token with this id in this organization.' };
      await h.save(session);
      res.redirect(303, `/admin/organizations/${encodeURIComponent(id)}/scim`);
    }),
  );
}

function scimSection(
  organizationId: string,
  endpoint: string,
  tokens: ScimTokenView[],
  csrf: string,
  created?: { id: string; token: string },
): SafeHtml {
  const rows = tokens.map(
    (
      t,
    ) => html`<tr><td><code>${t.id}</code></td><td>${t.name ?? '-'}</td><td>${t.createdAt}</td><td>${t.lastUsedAt ?? 'never'}</td>
<td>${t.revokedAt ? html`revoked ${t.revokedAt}` : html`<form method="post" action="/admin/organizations/${organizationId}/scim/tokens/${t.id}/revoke">${csrfField(csrf)}<button type="submit">Revoke</button></form>`}</td></tr>`,
  );
  return html`<h1>Directory sync (SCIM 2.0): ${organizationId}</h1>
<p>Give the customer's IdP this endpoint and a token: in Okta, Provisioning → Integration ("SCIM connector base URL", "HTTP Header" authentication); in Entra ID, Provisioning → Admin Credentials ("Tenant URL", "Secret Token").</p>
<p>SCIM endpoint: <code>${endpoint}</code></p>
${created ? html`<section class="flash ok" role="status"><p>New token <code>${created.id}</code>, shown once. Copy it now:</p><p><code id="scim-token">${created.token}</code></p></section>` : html``}
<table><thead><tr><th>Token</th><th>Name</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/admin/organizations/${organizationId}/scim/tokens">${csrfField(csrf)}
<label>Name <input name="name" maxlength="100" placeholder="Okta provisioning"></label> <button type="submit">Create token</button></form>`;
}
