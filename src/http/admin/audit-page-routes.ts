/**
 * The admin page's identity and audit views, registered on the page router by adminPages:
 *
 *   GET  /admin-tokens               the named tokens, a create form
 *   POST /admin-tokens               create (the page shows the token once)
 *   POST /admin-tokens/:id/revoke    revoke
 *   GET  /audit                      the newest audit entries
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { AdminIdentities, AuditLog } from '../../audit/index.ts';
import { type AdminSession, type AdminSessions, sessionContext } from './auth.ts';
import { adminTokensPage, auditLogPage } from './pages/audit.ts';
import { adminPage, sendAdminPage } from './pages/layout.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface AuditPageOptions {
  identities: AdminIdentities;
  audit: AuditLog;
  sessions: AdminSessions;
  now: () => Date;
  /** The page router's wrappers: a signed-in, CSRF-checked handler, and the form-body parser. */
  signedIn: (handler: Handler) => (req: Request, res: Response) => Promise<void>;
  form: (RequestHandler | ((req: Request, res: Response, next: NextFunction) => Promise<void>))[];
}

/** How many entries the page shows (the newest); the export has them all. */
const PAGE_ENTRIES = 200;

export function auditPages(router: Router, options: AuditPageOptions): void {
  const { identities, audit, sessions, signedIn, form, now } = options;

  const tokensPage = async (
    res: Response,
    session: AdminSession,
    created?: { name: string; token: string },
  ) => {
    sendAdminPage(
      res,
      created ? 201 : 200,
      adminPage('Admin tokens', adminTokensPage(await identities.list(), session.csrfToken, now(), created), {
        csrfToken: session.csrfToken,
        flash: session.flash,
      }),
    );
    if (session.flash) {
      delete session.flash;
      await sessions.save(session);
    }
  };

  router.get(
    '/admin-tokens',
    signedIn(async (_req, res, session) => tokensPage(res, session)),
  );

  router.post(
    '/admin-tokens',
    ...form,
    signedIn(async (req, res, session) => {
      const name = String((req.body as Record<string, unknown>).name ?? '');
      const created = await identities.create({ name }, sessionContext(session));
      // Answered directly, not by redirect: the token must not sit in the session store to survive one.
      await tokensPage(res, session, created);
    }),
  );

  router.post(
    '/admin-tokens/:id/revoke',
    ...form,
    signedIn(async (req, res, session) => {
      const revoked = await identities.revoke(req.params.id as string, sessionContext(session));
      session.flash = { kind: 'ok', text: `Token "${revoked.name}" revoked.` };
      await sessions.save(session);
      res.redirect(303, '/admin/admin-tokens');
    }),
  );

  router.get(
    '/audit',
    signedIn(async (_req, res, session) => {
      const newest = await audit.list({ newestFirst: true, limit: PAGE_ENTRIES });
      sendAdminPage(
        res,
        200,
        adminPage('Audit log', auditLogPage(newest, now()), { csrfToken: session.csrfToken }),
      );
    }),
  );
}
