/**
 * The admin page's setup-link control (issue #12 item 3), on the page's own session, CSRF and error handling:
 *
 *   GET  /setup-links?organization=ID                    the organization's links, a create form
 *   POST /organizations/:id/setup-links                  create; the URL is shown once (flash)
 *   POST /organizations/:id/setup-links/:linkId/revoke   revoke
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import { type AdminSession, type AdminSessions, sessionContext } from './auth.ts';
import { adminPage, sendAdminPage } from './pages/layout.ts';
import { setupLinksPage } from './pages/setup-links.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface SetupLinkPageDeps {
  links: SetupLinkService;
  sessions: AdminSessions;
  /** The page's wrapper: a signed-in session, CSRF on POST, the error page. */
  signedIn: (handler: Handler) => RequestHandler;
  /** The page's form body parser (only for a signed-in admin). */
  form: RequestHandler[];
  takeFlash: (session: AdminSession) => Promise<AdminSession['flash']>;
}

export function mountSetupLinkPages(router: Router, deps: SetupLinkPageDeps): void {
  const { links, sessions, signedIn, form } = deps;
  const back = async (res: Response, session: AdminSession, organizationId: string) => {
    await sessions.save(session);
    res.redirect(303, `/admin/setup-links?organization=${encodeURIComponent(organizationId)}`);
  };

  router.get(
    '/setup-links',
    signedIn(async (req, res, session) => {
      const organizationId =
        typeof req.query.organization === 'string' && req.query.organization.trim()
          ? req.query.organization.trim()
          : undefined;
      const list = organizationId ? await links.list(organizationId) : [];
      sendAdminPage(
        res,
        200,
        adminPage('Setup links', setupLinksPage(organizationId, list, session.csrfToken, links.now()), {
          csrfToken: session.csrfToken,
          flash: await deps.takeFlash(session),
        }),
      );
    }),
  );

  router.post(
    '/organizations/:id/setup-links',
    ...form,
    signedIn(async (req, res, session) => {
      const organizationId = req.params.id as string;
      const days = Number((req.body as Record<string, string>).expiresInDays || '7');
      const created = await links.create(organizationId, { expiresInDays: days }, sessionContext(session));
      session.flash = {
        kind: 'ok',
        text: `Setup link created, valid until ${created.expiresAt}. Copy it now, it is not shown again: ${created.url}`,
      };
      await back(res, session, organizationId);
    }),
  );

  router.post(
    '/organizations/:id/setup-links/:linkId/revoke',
    ...form,
    signedIn(async (req, res, session) => {
      const organizationId = req.params.id as string;
      const revoked = await links.revoke(
        req.params.linkId as string,
        sessionContext(session),
        organizationId,
      );
      session.flash = { kind: 'ok', text: `Setup link ${revoked.id} revoked.` };
      await back(res, session, organizationId);
    }),
  );
}
