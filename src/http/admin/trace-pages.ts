/**
 * The trace pages of the admin web page (issue #13), mounted by page-routes.ts with its session and CSRF
 * wrappers:
 *
 *   GET  /traces?connectionId=&outcome=failed&q=TRACE-ID   the list (q opens one trace)
 *   GET  /traces/:traceId[?raw=1]                          one trace with its checklist
 *   POST /traces/capture/:connectionId[/stop]              raw capture on (minutes) or off
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { AdminError } from '../../sp/admin-errors.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import { MAX_CAPTURE_MINUTES, normalizeTraceId, type TraceService, traceView } from '../../trace/index.ts';
import type { Logger } from '../logger.ts';
import type { AdminSession, AdminSessions } from './auth.ts';
import { adminPage, sendAdminPage } from './pages/layout.ts';
import { traceDetail, traceList } from './pages/traces.ts';
import { findTrace } from './trace-api.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface TracePagesDeps {
  traces: TraceService;
  connections: ConnectionService;
  sessions: AdminSessions;
  logger: Logger;
  /** page-routes.ts's wrapper: a signed-in admin, CSRF-checked POSTs, errors as the admin error page. */
  signedIn: (handler: Handler) => (req: Request, res: Response) => Promise<void>;
  /** page-routes.ts's form reader (only for a signed-in admin). */
  form: (RequestHandler | ((req: Request, res: Response, next: NextFunction) => Promise<void>))[];
}

export function mountTracePages(router: Router, deps: TracePagesDeps): void {
  const { traces, connections, sessions, signedIn, form, logger } = deps;
  const now = () => connections.sp.now();

  router.get(
    '/traces',
    signedIn(async (req, res, session) => {
      if (typeof req.query.q === 'string' && req.query.q.trim()) {
        const id = normalizeTraceId(req.query.q);
        res.redirect(303, `/admin/traces/${encodeURIComponent(id ?? req.query.q.trim().slice(0, 40))}`);
        return;
      }
      const connectionId = typeof req.query.connectionId === 'string' ? req.query.connectionId : undefined;
      const outcome =
        req.query.outcome === 'failed' || req.query.outcome === 'succeeded' ? req.query.outcome : undefined;
      const connection = connectionId ? await connections.get(connectionId) : undefined;
      const list = await traces.list({
        ...(connectionId ? { connectionId } : {}),
        ...(outcome ? { outcome } : {}),
        limit: 100,
      });
      const flash = session.flash;
      if (flash) {
        delete session.flash;
        await sessions.save(session);
      }
      sendAdminPage(
        res,
        200,
        adminPage(
          'Traces',
          traceList(
            list.map((t) => traceView(t, traces)),
            {
              connection,
              outcome,
              captureUntil: connection ? await traces.captureUntil(connection.id) : undefined,
              csrfToken: session.csrfToken,
              now: now(),
            },
          ),
          { csrfToken: session.csrfToken, flash },
        ),
      );
    }),
  );

  router.get(
    '/traces/:traceId',
    signedIn(async (req, res, session) => {
      const trace = await findTrace(traces, req.params.traceId);
      const raw = req.query.raw === '1';
      if (raw && trace.rawMessage)
        logger.info('admin.trace_raw_opened', { traceId: trace.traceId, via: 'page' });
      sendAdminPage(
        res,
        200,
        adminPage(`Trace ${trace.traceId}`, traceDetail(traceView(trace, traces, { raw }), now()), {
          csrfToken: session.csrfToken,
        }),
      );
    }),
  );

  router.post(
    '/traces/capture/:connectionId',
    ...form,
    signedIn(async (req, res, session) => {
      const connection = await connections.get(req.params.connectionId as string);
      const minutes = Number((req.body as Record<string, unknown>).minutes);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_CAPTURE_MINUTES) {
        throw new AdminError('ADMIN_INVALID_REQUEST', `Capture lasts 1 to ${MAX_CAPTURE_MINUTES} minutes.`);
      }
      const until = await traces.startCapture(connection.id, minutes);
      logger.info('admin.trace_capture_started', {
        connectionId: connection.id,
        until: until.toISOString(),
        via: 'page',
      });
      session.flash = {
        kind: 'ok',
        text: `Capturing raw messages of "${connection.id}" until ${until.toISOString()}.`,
      };
      await sessions.save(session);
      res.redirect(303, `/admin/traces?connectionId=${encodeURIComponent(connection.id)}`);
    }),
  );

  router.post(
    '/traces/capture/:connectionId/stop',
    ...form,
    signedIn(async (req, res, session) => {
      const connection = await connections.get(req.params.connectionId as string);
      await traces.stopCapture(connection.id);
      logger.info('admin.trace_capture_stopped', { connectionId: connection.id, via: 'page' });
      session.flash = { kind: 'ok', text: `Raw capture of "${connection.id}" stopped.` };
      await sessions.save(session);
      res.redirect(303, `/admin/traces?connectionId=${encodeURIComponent(connection.id)}`);
    }),
  );
}
