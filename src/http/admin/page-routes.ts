/**
 * The admin web page (HTML, no JavaScript), mounted at /admin:
 *
 *   GET  /                                  sign-in form, or the connection list
 *   POST /login, /logout                    admin session (cookie: HttpOnly, SameSite=Strict, Path=/admin)
 *   GET  /connections/new, POST /connections  create from an uploaded file, a URL or pasted XML
 *   GET  /connections/:id                   health, lint, SP values, per-vendor steps, IdP facts, forms
 *   POST /connections/:id/mapping|policy|refresh
 *   POST /connections/:id/delete            only with the connection id typed back (`confirm`)
 *   POST /connections/:id/edit|metadata|activate|mapping/add   (lifecycle-routes.ts)
 *   GET  /connections/:id/test              starts a test sign-in (src/sp/test-sign-in.ts)
 *   GET  /connections/:id/test/result?run=  its checklist, mapping report and verdict
 *   GET  /keys, POST /keys[/:id/promote|retire]  the SP key ring (key-page-routes.ts)
 *   GET  /traces, /traces/:traceId          sign-in and logout traces (trace-pages.ts)
 *   GET  /setup-links, POST /organizations/:id/setup-links[/:linkId/revoke]  (setup-link-pages.ts)
 *   /organizations…                         organizations, domains, policy (organization-pages.ts)
 *   /admin-tokens, /audit                   named admin tokens and the audit log (./audit-page-routes.ts)
 *
 * The sign-in form accepts ADMIN_TOKEN or any live named token; the session remembers which identity signed
 * in, and every change made through the page is recorded under that name.
 *
 * Every POST carries the session's CSRF token.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AdminIdentities, AuditLog } from '../../audit/index.ts';
import { isSamlSpError } from '../../core/errors.ts';
import type { AttributeMapping, MappedField } from '../../core/types.ts';
import { certificateWarnings, type WebhookService } from '../../events/index.ts';
import type { KeyRing } from '../../keys/index.ts';
import type { SetupLinkService } from '../../org/setup-links/index.ts';
import { AdminError, isAdminError } from '../../sp/admin-errors.ts';
import type { CreateConnectionInput, UpdateConnectionInput } from '../../sp/connection-input.ts';
import type { ConnectionService } from '../../sp/connection-service.ts';
import type { TestSignIns } from '../../sp/test-sign-in.ts';
import type { TraceService } from '../../trace/index.ts';
import { readCookie } from '../cookies.ts';
import { html } from '../html.ts';
import type { Logger } from '../logger.ts';
import { sendTestSignIn } from '../test-sign-in-routes.ts';
import { auditPages } from './audit-page-routes.ts';
import { type AdminSession, type AdminSessions, type LoginThrottle, sessionContext } from './auth.ts';
import { checkCsrf } from './csrf.ts';
import { toAdminError } from './errors.ts';
import { mountKeyPages } from './key-page-routes.ts';
import { lifecycleRoutes } from './lifecycle-routes.ts';
import { formBody } from './multipart.ts';
import { organizationPages } from './organization-pages.ts';
import { BANNER_CSS, certificateBanner } from './pages/certificate-banner.ts';
import { connectionDetail } from './pages/detail.ts';
import { loginForm, type NewConnectionValues, newConnectionForm } from './pages/forms.ts';
import { ADMIN_CSS, adminPage, sendAdminPage } from './pages/layout.ts';
import { connectionList } from './pages/list.ts';
import { testResultPage } from './pages/test-result.ts';
import { scimTokenPages } from './scim-pages.ts';
import type { ScimAdmin } from './scim-tokens.ts';
import { mountSetupLinkPages } from './setup-link-pages.ts';
import { mountTracePages } from './trace-pages.ts';
import { mountWebhookPages } from './webhook-pages.ts';

export interface AdminPageOptions {
  connections: ConnectionService;
  identities: AdminIdentities;
  audit: AuditLog;
  webhooks?: WebhookService;
  sessions: AdminSessions;
  throttle: LoginThrottle;
  tests: TestSignIns;
  logger: Logger;
  cookieName: string;
  /** The SCIM token section (/admin/organizations/:id/scim); absent without a SCIM store. */
  scim?: ScimAdmin;
  /** The SP key ring: adds the Keys page (key-page-routes.ts). */
  keyRing?: KeyRing;
  /** Sign-in traces: the trace pages are mounted when given. */
  traces?: TraceService;
  /** Setup links of an organization (/admin/setup-links); absent: no such pages. */
  setupLinks?: SetupLinkService;
  /** The SAML router's session cookie name (the test's request-binding cookie derives from it). */
  sessionCookieName?: string;
}

/** The result page of a test run started from the admin page. */
export function testResultPath(connectionId: string, run: string): string {
  return `/admin/connections/${encodeURIComponent(connectionId)}/test/result?run=${run}`;
}

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

const MAPPED_FIELDS: MappedField[] = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'groups',
  'externalId',
];

/** Creates the page router. */
export function adminPages(options: AdminPageOptions): Router {
  const { connections, sessions, logger, cookieName, tests, identities } = options;
  const sp = connections.sp;
  const secure = sp.baseUrl.startsWith('https:');
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/admin' };
  const router = express.Router();
  const sessionOf = async (req: Request) => {
    const token = readCookie(req, cookieName);
    const session = await sessions.get(token);
    // A session lives only as long as the identity behind it: revoking a token signs its pages out too.
    return {
      token,
      session: session && (await identities.isLive(session.admin?.tokenId)) ? session : undefined,
    };
  };

  const parseForm = formBody(2 * 1024 * 1024);
  /**
   * Reads a form body only for a signed-in admin: without a session, the answer is the redirect to the
   * sign-in form, before a byte of the (up to 2 MiB, multipart) body is parsed. Anonymous posts cost nothing.
   */
  const form = [
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (!(await sessionOf(req)).session) {
        res.redirect(303, '/admin');
        return;
      }
      next();
    },
    parseForm,
  ];

  /** A signed-in page; POSTs are CSRF-checked. Without a session: back to the sign-in form. */
  const signedIn =
    (handler: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      const { session } = await sessionOf(req);
      if (!session) {
        res.redirect(303, '/admin');
        return;
      }
      try {
        if (req.method === 'POST')
          checkCsrf(req, session, (req.body as Record<string, unknown>)?._csrf, sp.baseUrl);
        await handler(req, res, session);
      } catch (err) {
        errorPage(req, res, err, session);
        return;
      }
      // Handlers save before the redirect that shows a change; this keeps one made after the answer. The
      // answer is out by now, so a failure here can only be logged.
      await sessions.save(session).catch((err: unknown) => {
        logger.warn('admin.session_save_failed', {
          message: err instanceof Error ? err.message : String(err),
        });
      });
    };

  const errorPage = (req: Request, res: Response, err: unknown, session?: AdminSession): void => {
    const error = toAdminError(err);
    (error.status >= 500 ? logger.error : logger.warn)('admin.page_refused', {
      path: req.originalUrl.split('?')[0],
      code: error.code,
      message: error.message,
      ...(error.status >= 500 ? { cause: err instanceof Error ? err.stack : String(err) } : {}),
    });
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    const body = html`<h1>${error.status === 503 ? 'Temporarily unavailable' : 'Something went wrong'}</h1><section class="error-box" role="alert"><p><strong>${error.code}</strong>: ${error.message}</p><p>${error.hint}</p></section>
<p><a href="/admin">Back to the connections</a></p>`;
    sendAdminPage(
      res,
      error.status,
      adminPage('Error', body, session ? { csrfToken: session.csrfToken } : {}),
    );
  };

  /** The flash message, removed from the (shared) session so the next page does not show it again. */
  const takeFlash = async (session: AdminSession) => {
    const flash = session.flash;
    if (flash === undefined) return undefined;
    delete session.flash;
    await sessions.save(session);
    return flash;
  };

  // The organizations section (its own file): customers, their domains and policy.
  router.use(
    organizationPages({
      organizations: connections.organizations,
      sessions,
      signedIn,
      form,
      flashing,
      takeFlash,
    }),
  );

  router.get('/assets/admin.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(ADMIN_CSS + BANNER_CSS);
  });

  router.get('/', async (req, res) => {
    const { session } = await sessionOf(req);
    if (!session) {
      const configured = await identities.configured();
      sendAdminPage(
        res,
        configured ? 200 : 503,
        adminPage('Sign in', loginForm({ tokenConfigured: configured })),
      );
      return;
    }
    try {
      const [views, all] = await Promise.all([connections.views(), connections.list()]);
      const banner = certificateBanner(certificateWarnings(all, sp.now()));
      sendAdminPage(
        res,
        200,
        adminPage('Connections', html`${banner}${connectionList(views, sp.now())}`, {
          csrfToken: session.csrfToken,
          flash: await takeFlash(session),
        }),
      );
    } catch (err) {
      errorPage(req, res, err, session);
    }
  });

  router.post(
    '/login',
    // The cheap refusals come before the body is read: no token configured, or this client (or everyone,
    // see LoginThrottle) has failed too often.
    async (req, res, next) => {
      if (!(await identities.configured())) {
        sendAdminPage(res, 503, adminPage('Sign in', loginForm({ tokenConfigured: false })));
        return;
      }
      // req.ip honours the app's 'trust proxy' setting (TRUST_PROXY): the socket address unless configured.
      const client = req.ip ?? 'unknown';
      if (await options.throttle.blocked(client)) {
        logger.warn('admin.login_throttled', { client });
        sendAdminPage(
          res,
          429,
          adminPage(
            'Sign in',
            loginForm({ tokenConfigured: true, error: 'Too many failed attempts. Wait a few minutes.' }),
          ),
        );
        return;
      }
      next();
    },
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 }),
    async (req, res) => {
      const client = req.ip ?? 'unknown';
      const presented = (req.body as Record<string, unknown> | undefined)?.token;
      const principal = await identities.authenticate(typeof presented === 'string' ? presented : undefined);
      if (!principal) {
        await options.throttle.fail(client);
        logger.warn('admin.login_failed', { client });
        sendAdminPage(
          res,
          401,
          adminPage('Sign in', loginForm({ tokenConfigured: true, error: 'Wrong admin token.' })),
        );
        return;
      }
      await options.throttle.reset(client);
      // A fresh session on every sign-in: a session id planted beforehand is worthless.
      await sessions.destroy(readCookie(req, cookieName));
      const { token } = await sessions.create({
        name: principal.actor.name,
        ...(principal.tokenId ? { tokenId: principal.tokenId } : {}),
      });
      await options.audit.record({
        actor: { kind: 'admin-session', name: principal.actor.name },
        action: 'admin.signed_in',
        target: { type: 'admin-token', id: principal.tokenId ?? principal.actor.name },
        after: { client },
      });
      res.cookie(cookieName, token, { ...cookieOptions, maxAge: sessions.maxAgeMs });
      logger.info('admin.login', { client, admin: principal.actor.name });
      await sp.events.emit('admin.signed_in', { actor: principal.actor.name, via: 'page' });
      res.redirect(303, '/admin');
    },
  );

  if (options.webhooks) {
    mountWebhookPages(router, {
      webhooks: options.webhooks,
      sessions,
      signedIn,
      form,
      takeFlash,
      now: () => sp.now(),
    });
  }

  router.post(
    '/logout',
    ...form,
    signedIn(async (req, res) => {
      await sessions.destroy(readCookie(req, cookieName));
      res.clearCookie(cookieName, cookieOptions);
      res.redirect(303, '/admin');
    }),
  );

  router.get(
    '/connections/new',
    signedIn(async (_req, res, session) => {
      sendAdminPage(
        res,
        200,
        adminPage('New connection', newConnectionForm(session.csrfToken), { csrfToken: session.csrfToken }),
      );
    }),
  );

  router.post('/connections', ...form, async (req, res) => {
    const { session } = await sessionOf(req);
    if (!session) {
      res.redirect(303, '/admin');
      return;
    }
    const fields = (req.body ?? {}) as Record<string, string>;
    const values: NewConnectionValues = {
      displayName: fields.displayName?.trim(),
      id: fields.id?.trim(),
      preset: fields.preset,
      metadataUrl: fields.metadataUrl?.trim(),
      idpEntityId: fields.idpEntityId?.trim(),
      sharedSpEntityId: fields.sharedSpEntityId === 'on',
      allowDuplicateName: fields.allowDuplicateName === 'on',
    };
    try {
      checkCsrf(req, session, fields._csrf, sp.baseUrl);
      const metadataXml = fields.metadataFile?.trim()
        ? fields.metadataFile
        : fields.metadataXml?.trim()
          ? fields.metadataXml
          : undefined;
      // Only a name is needed: without metadata the connection starts as a draft. Metadata given here waits
      // for a passing test sign-in: the page is where that test is one click away.
      const input = {
        ...(values.displayName ? { displayName: values.displayName } : {}),
        ...(values.id ? { id: values.id } : {}),
        ...(values.preset ? { preset: values.preset } : {}),
        ...(metadataXml ? { metadataXml } : values.metadataUrl ? { metadataUrl: values.metadataUrl } : {}),
        ...(metadataXml || values.metadataUrl ? { requireTest: true } : {}),
        ...(values.idpEntityId ? { idpEntityId: values.idpEntityId } : {}),
        ...(values.sharedSpEntityId ? { spEntityIdMode: 'shared' } : {}),
        ...(values.allowDuplicateName ? { allowDuplicateName: true } : {}),
        ...(fields.metadataSigningCertificate?.trim()
          ? { metadataSigningCertificates: [fields.metadataSigningCertificate.trim()] }
          : {}),
      } as CreateConnectionInput;
      const connection = await connections.create(input, sessionContext(session));
      logger.info('admin.connection_created', { connectionId: connection.id, via: 'page' });
      session.flash = {
        kind: 'ok',
        text:
          connection.status === 'draft'
            ? `Draft "${connection.displayName}" created. Give the IdP admin the values below, then add the IdP metadata.`
            : `Connection "${connection.displayName}" created. Run a test sign-in, then activate it.`,
      };
      await sessions.save(session);
      res.redirect(303, `/admin/connections/${encodeURIComponent(connection.id)}`);
    } catch (err) {
      if (!isAdminError(err) && !isSamlSpError(err)) {
        errorPage(req, res, err, session);
        return;
      }
      const entities = Array.isArray(err.details.entities) ? (err.details.entities as string[]) : undefined;
      sendAdminPage(
        res,
        err.status >= 500
          ? err.status
          : err.code === 'SAML_MESSAGE_TOO_LARGE'
            ? 413
            : err.status === 400
              ? 422
              : err.status,
        adminPage(
          'New connection',
          newConnectionForm(session.csrfToken, values, {
            code: err.code,
            message: err.message,
            hint: err.hint,
            ...(entities ? { entities } : {}),
            ...(err.code === 'CONNECTION_NAME_EXISTS' ? { duplicateName: true } : {}),
          }),
          { csrfToken: session.csrfToken },
        ),
      );
    }
  });

  router.get(
    '/connections/:id',
    signedIn(async (req, res, session) => {
      const view = await connections.view(req.params.id as string);
      sendAdminPage(
        res,
        200,
        adminPage(view.displayName, connectionDetail(view, session.csrfToken, sp.now()), {
          csrfToken: session.csrfToken,
          flash: await takeFlash(session),
        }),
      );
    }),
  );

  /** Saves the session's flash message, then redirects to the connection page that shows it. */
  const backToConnection = async (res: Response, id: string, session: AdminSession) => {
    await sessions.save(session);
    res.redirect(303, `/admin/connections/${encodeURIComponent(id)}`);
  };

  router.post(
    '/connections/:id/mapping',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const fields = req.body as Record<string, string>;
      const attributeMapping: AttributeMapping = {};
      for (const field of MAPPED_FIELDS) {
        const names = (fields[field] ?? '')
          .split(/[,\n]/)
          .map((n) => n.trim())
          .filter(Boolean);
        if (names.length) attributeMapping[field] = names;
      }
      const patch = {
        attributeMapping,
        ...(fields.preset ? { preset: fields.preset } : {}),
      } as UpdateConnectionInput;
      await flashing(session, 'Attribute mapping saved.', () =>
        connections.update(id, patch, sessionContext(session)),
      );
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/policy',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const fields = req.body as Record<string, string>;
      const patch = {
        policy: {
          ...(fields.wantSigned ? { wantSigned: fields.wantSigned } : {}),
          ...(fields.clockSkewSeconds ? { clockSkewSeconds: Number(fields.clockSkewSeconds) } : {}),
          allowIdpInitiated: fields.allowIdpInitiated === 'on',
          allowSha1: fields.allowSha1 === 'on',
          requireEncryptedAssertion: fields.requireEncryptedAssertion === 'on',
          allowSoapLogoutWithoutDestination: fields.allowSoapLogoutWithoutDestination === 'on',
        },
      } as UpdateConnectionInput;
      await flashing(session, 'Policy saved.', () => connections.update(id, patch, sessionContext(session)));
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/refresh',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const outcome = await connections.refresh(id, sessionContext(session));
      session.flash = outcome.error
        ? {
            kind: 'error',
            text: `Refresh failed (${outcome.error.code}): ${outcome.error.message} The last good metadata stays in use.`,
          }
        : {
            kind: 'ok',
            text: outcome.changed
              ? `Metadata refreshed: ${outcome.added.length} new, ${outcome.retained.length} retired and still trusted, ${outcome.dropped.length} dropped certificate(s).`
              : 'Metadata refreshed: unchanged.',
          };
      await backToConnection(res, id, session);
    }),
  );

  router.post(
    '/connections/:id/delete',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const typed = (req.body as Record<string, unknown>).confirm;
      if (typed !== id) {
        session.flash = {
          kind: 'error',
          text: `Not deleted: type the connection id "${id}" to confirm the deletion.`,
        };
        await backToConnection(res, id, session);
        return;
      }
      await connections.remove(id, sessionContext(session));
      logger.info('admin.connection_removed', { connectionId: id, via: 'page' });
      session.flash = { kind: 'ok', text: `Connection "${id}" deleted.` };
      await sessions.save(session);
      res.redirect(303, '/admin');
    }),
  );

  router.get(
    '/connections/:id/test',
    signedIn(async (req, res, session) => {
      const connection = await connections.get(req.params.id as string);
      await sendTestSignIn(req, res, {
        tests,
        connectionId: connection.id,
        resultPath: (run) => testResultPath(connection.id, run),
        ...(options.sessionCookieName ? { sessionCookieName: options.sessionCookieName } : {}),
        context: sessionContext(session),
        // Only this admin session may read the result: remembered before the browser leaves for the IdP.
        onStarted: async (run) => {
          if (session.testRuns.size >= 20)
            session.testRuns.delete(session.testRuns.keys().next().value as string);
          session.testRuns.set(run, { connectionId: connection.id, startedAt: sp.now().getTime() });
          await sessions.save(session);
        },
      });
    }),
  );

  router.get('/connections/:id/test/result', async (req, res) => {
    const { session } = await sessionOf(req);
    if (!session && req.query.hop === undefined && (await identities.configured())) {
      // The IdP's cross-site POST started this redirect chain, so the SameSite=Strict admin cookie was held
      // back. A same-site hop (this page reloading itself) brings it along.
      const again = `${req.originalUrl}${req.originalUrl.includes('?') ? '&' : '?'}hop=1`;
      sendAdminPage(
        res,
        200,
        adminPage(
          'Test sign-in',
          html`<meta http-equiv="refresh" content="0;url=${again}"><p><a href="${again}">Show the test result</a></p>`,
        ),
      );
      return;
    }
    if (!session) {
      res.redirect(303, '/admin');
      return;
    }
    try {
      const run = typeof req.query.run === 'string' ? req.query.run : '';
      const started = session.testRuns.get(run);
      if (!started || started.connectionId !== req.params.id) {
        throw new AdminError(
          'ADMIN_NOT_FOUND',
          'This test sign-in was not started from this admin session.',
          {
            hint: 'Start the test from the connection page.',
            status: 404,
          },
        );
      }
      const testRun = await tests.get(run);
      if (!testRun) {
        throw new AdminError('ADMIN_NOT_FOUND', 'This test sign-in has expired.', {
          hint: 'Run the test again from the connection page.',
          status: 404,
        });
      }
      const view = await connections.view(started.connectionId);
      sendAdminPage(
        res,
        200,
        adminPage('Test sign-in', testResultPage(view, testRun, session.csrfToken), {
          csrfToken: session.csrfToken,
          flash: await takeFlash(session),
        }),
      );
    } catch (err) {
      errorPage(req, res, err, session);
    }
  });

  router.use(
    lifecycleRoutes({
      connections,
      form,
      signedIn,
      backToConnection,
      sessions,
      logger,
      actor: sessionContext,
    }),
  );
  if (options.scim) {
    scimTokenPages(router, {
      scim: options.scim,
      baseUrl: sp.baseUrl,
      form,
      signedIn,
      takeFlash,
      save: (session) => sessions.save(session),
    });
  }
  if (options.keyRing) {
    mountKeyPages(router, {
      keyRing: options.keyRing,
      connections,
      form,
      signedIn,
      takeFlash,
      flashing,
      save: (session) => sessions.save(session),
    });
  }
  if (options.traces) {
    mountTracePages(router, { traces: options.traces, connections, sessions, logger, signedIn, form });
  }
  auditPages(router, {
    identities,
    audit: options.audit,
    sessions,
    now: () => sp.now(),
    signedIn,
    form,
  });
  if (options.setupLinks) {
    mountSetupLinkPages(router, { links: options.setupLinks, sessions, signedIn, form, takeFlash });
  }

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    // The session lookup may be what failed (the store is down): then the page goes without it.
    sessionOf(req).then(
      ({ session }) => errorPage(req, res, err, session),
      () => errorPage(req, res, err),
    );
  });
  return router;
}

/** Runs a change and leaves its outcome as the session's flash message. */
export async function flashing(
  session: AdminSession,
  ok: string,
  change: () => Promise<unknown>,
): Promise<void> {
  try {
    await change();
    session.flash = { kind: 'ok', text: ok };
  } catch (err) {
    const error = toAdminError(err);
    if (error.status >= 500) throw err;
    session.flash = { kind: 'error', text: `${error.code}: ${error.message} ${error.hint}` };
  }
}
