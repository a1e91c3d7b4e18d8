/**
 * The Keys admin page routes (HTML, no JavaScript), mounted by page-routes.ts when a key ring is given:
 *
 *   GET  /keys                 every key with its dates, the key lint of each connection
 *   POST /keys                 generate a `next` key (use, optional connection)
 *   POST /keys/:id/promote     next -> active
 *   POST /keys/:id/retire      active | next -> retired
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { KeyRing } from '../../keys/index.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import { type AdminSession, sessionContext } from './auth.ts';
import { keysPage } from './pages/keys.ts';
import { adminPage, sendAdminPage } from './pages/layout.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface KeyPageDeps {
  keyRing: KeyRing;
  connections: ConnectionService;
  /** Reads the form body of a signed-in admin (page-routes.ts). */
  form: RequestHandler[];
  signedIn: (handler: Handler) => RequestHandler;
  takeFlash: (session: AdminSession) => Promise<AdminSession['flash']>;
  flashing: (session: AdminSession, ok: string, change: () => Promise<unknown>) => Promise<void>;
  save: (session: AdminSession) => Promise<void>;
}

export function mountKeyPages(router: Router, deps: KeyPageDeps): void {
  const { keyRing, signedIn, form } = deps;
  const back = async (res: Response, session: AdminSession) => {
    await deps.save(session);
    res.redirect(303, '/admin/keys');
  };

  router.get(
    '/keys',
    signedIn(async (_req, res, session) => {
      const [keys, connections] = await Promise.all([keyRing.list(), deps.connections.list()]);
      const lint = await Promise.all(
        connections.map(async (c) => ({ connectionId: c.id, warnings: await keyRing.lint(c.id) })),
      );
      sendAdminPage(
        res,
        200,
        adminPage(
          'SP keys',
          keysPage({ keys, lint, connectionIds: connections.map((c) => c.id), csrfToken: session.csrfToken }),
          { csrfToken: session.csrfToken, flash: await deps.takeFlash(session) },
        ),
      );
    }),
  );

  router.post(
    '/keys',
    ...form,
    signedIn(async (req, res, session) => {
      const fields = req.body as Record<string, string>;
      const use = fields.use === 'encryption' ? 'encryption' : 'signing';
      const connectionId = fields.connectionId ? fields.connectionId : undefined;
      await deps.flashing(
        session,
        `A next ${use} key was generated: give the IdPs its certificate, then promote it.`,
        () => keyRing.generate({ use, connectionId }, sessionContext(session)),
      );
      await back(res, session);
    }),
  );

  for (const verb of ['promote', 'retire'] as const) {
    router.post(
      `/keys/:id/${verb}`,
      ...form,
      signedIn(async (req, res, session) => {
        const id = req.params.id as string;
        await deps.flashing(
          session,
          `Key ${id} ${verb === 'promote' ? 'is now active' : 'is retired'}.`,
          () =>
            verb === 'promote'
              ? keyRing.promote(id, sessionContext(session))
              : keyRing.retire(id, sessionContext(session)),
        );
        await back(res, session);
      }),
    );
  }
}
