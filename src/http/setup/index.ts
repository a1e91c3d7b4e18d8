/**
 * The self-service setup portal (issue #12 item 3), mounted at /setup. No account: the setup link is the key.
 *
 *   GET  /setup/:token                     opens the link: starts a portal session (cookie), then /setup/portal
 *   GET  /setup/portal                     the six steps (vendor, configure, metadata + lint, domain, test, activate)
 *   GET  /setup/portal/vendor/:vendor      picks the IdP vendor
 *   GET  /setup/portal/sp-metadata.xml     downloads: the SP metadata and signing certificate of this connection
 *   GET  /setup/portal/sp-certificate.pem
 *   POST /setup/portal/metadata            the IdP's metadata (file or URL)
 *   POST /setup/portal/domains[/verify]    add and verify a domain (when the server has domain verification)
 *   GET  /setup/portal/test                starts a test sign-in; its result comes back to /setup/portal/test-result
 *   POST /setup/portal/activate            after a passing test
 *
 * Every answer has Referrer-Policy: no-referrer and a strict CSP; every POST carries the session's CSRF token;
 * the session reaches only its own link's organization and connection; each client address is rate-limited;
 * an expired or revoked link (even mid-session) gets a page that says so, and nothing else.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isSamlSpError } from '../../core/errors.ts';
import type { SetupLinkClient, SetupLinkService } from '../../org/setup-links/index.ts';
import { linkActor } from '../../org/setup-links/index.ts';
import { AdminError, isAdminError } from '../../sp/admin-errors.ts';
import { MemoryThrottleStore } from '../../store/memory/shared-state.ts';
import type { SetupLinkRecord } from '../../store/setup-links.ts';
import type { ThrottleStore } from '../../store/shared-state.ts';
import { toAdminError } from '../admin/errors.ts';
import { formBody } from '../admin/multipart.ts';
import { readCookie } from '../cookies.ts';
import { html } from '../html.ts';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { type ClosedReason, closedPage, closedTitle } from './pages/closed.ts';
import { PORTAL_CSS, PORTAL_JS, portalPage, sendPortalPage, setPortalHeaders } from './pages/layout.ts';
import { portalBody, VENDOR_KEYS } from './pages/portal.ts';
import type { PortalConnections } from './portal-connections.ts';
import type { PortalDomains } from './portal-domains.ts';
import { checkPortalCsrf, type PortalSession, PortalSessions, type VendorKey } from './portal-session.ts';

export type { PortalConnectionState, PortalConnections, PortalTestOutcome } from './portal-connections.ts';
export { draftPortalConnections, portalTestResultPath } from './portal-connections.ts';
export { organizationPortalDomains, type PortalDomain, type PortalDomains } from './portal-domains.ts';
export { PortalSessions } from './portal-session.ts';

export interface SetupPortalOptions {
  links: SetupLinkService;
  connections: PortalConnections;
  /** Domain verification; without it the domain step says it is not available. */
  domains?: PortalDomains;
  /** BASE_URL (the CSRF origin check, the cookie's Secure flag). */
  baseUrl: string;
  /** The app's name in "ask <app> for a new link". Default: BASE_URL's host. */
  appName?: string;
  sessions?: PortalSessions;
  /** Per-address request counting. Default: in process memory; the server shares it through its stores. */
  throttle?: ThrottleStore;
  /** Requests per client address per minute. Default 120. */
  requestsPerMinute?: number;
  /** Unknown, expired or revoked tokens per client address per 15 minutes. Default 20. */
  failedOpensPer15Minutes?: number;
  logger?: Logger;
  cookieName?: string;
}

interface PortalRequest {
  token: string;
  session: PortalSession;
  link: SetupLinkRecord;
  client: SetupLinkClient;
}

type Handler = (req: Request, res: Response, p: PortalRequest) => Promise<void>;

const PRESETS: Record<VendorKey, 'okta' | 'entra' | 'adfs' | 'google' | 'keycloak' | 'generic'> = {
  okta: 'okta',
  entra: 'entra',
  adfs: 'adfs',
  google: 'google',
  keycloak: 'keycloak',
  other: 'generic',
};

/**
 * The portal router.
 *
 * @example
 * ```ts
 * app.use('/setup', setupPortal({ links, connections: draftPortalConnections(connectionService, tests), baseUrl }));
 * ```
 */
export function setupPortal(options: SetupPortalOptions): Router {
  const { links, connections } = options;
  const logger = options.logger ?? silentLogger;
  const appName = options.appName ?? new URL(options.baseUrl).host;
  const sessions = options.sessions ?? new PortalSessions();
  const throttle = options.throttle ?? new MemoryThrottleStore();
  const cookieName = options.cookieName ?? 'saml_sp_setup';
  const ownOrigin = new URL(options.baseUrl).origin;
  const cookieOptions = {
    httpOnly: true,
    // Lax, not Strict: the test sign-in comes back from the IdP's site, and the result page needs the session.
    sameSite: 'lax' as const,
    secure: options.baseUrl.startsWith('https:'),
    path: '/setup',
  };
  const perMinute = options.requestsPerMinute ?? 120;
  const failedOpens = options.failedOpensPer15Minutes ?? 20;
  const router = express.Router();

  const clientOf = (req: Request): SetupLinkClient => ({
    ip: req.ip,
    userAgent: req.get('user-agent'),
  });
  const closed = (res: Response, status: number, reason: ClosedReason) =>
    sendPortalPage(res, status, portalPage(closedTitle(reason), closedPage(reason, appName), appName));

  /** The answer for anything a handler throws: a closed-link page, or the error with its code and fix. */
  const fail = async (req: Request, res: Response, err: unknown, token?: string): Promise<void> => {
    const error = toAdminError(err);
    if (
      error.code === 'SETUP_LINK_EXPIRED' ||
      error.code === 'SETUP_LINK_REVOKED' ||
      error.code === 'SETUP_LINK_NOT_FOUND'
    ) {
      if (token) await sessions.destroy(token).catch(() => undefined);
      await throttle.hit(`setup-miss:${req.ip}`, 15 * 60_000, links.now()).catch(() => undefined);
      logger.warn('setup.refused', { code: error.code, client: req.ip });
      closed(
        res,
        error.status,
        error.code === 'SETUP_LINK_EXPIRED'
          ? 'expired'
          : error.code === 'SETUP_LINK_REVOKED'
            ? 'revoked'
            : 'not-found',
      );
      return;
    }
    (error.status >= 500 ? logger.error : logger.warn)('setup.page_refused', {
      path: req.originalUrl.split('?')[0]?.replace(/\/setup\/[A-Za-z0-9_-]{43}/, '/setup/:token'),
      code: error.code,
      message: error.message,
      ...(error.status >= 500 ? { cause: err instanceof Error ? err.stack : String(err) } : {}),
    });
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    sendPortalPage(
      res,
      error.status,
      portalPage(
        'Error',
        html`<section class="error-box" role="alert"><h1>${error.status === 503 ? 'Temporarily unavailable' : 'Something went wrong'}</h1><p><strong>${error.code}</strong>: ${error.message}</p><p>${error.hint}</p></section><p><a href="/setup/portal">Back to the setup</a></p>`,
        appName,
      ),
    );
  };

  router.use((_req, res, next) => {
    setPortalHeaders(res);
    next();
  });

  router.get('/assets/portal.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(PORTAL_CSS);
  });
  router.get('/assets/portal.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').send(PORTAL_JS);
  });

  // Rate limits before any store lookup of a token: a flood of guesses costs one counter per address.
  router.use(async (req, res, next) => {
    try {
      const now = links.now();
      const [hits, misses] = await Promise.all([
        throttle.hit(`setup-ip:${req.ip}`, 60_000, now),
        throttle.count(`setup-miss:${req.ip}`, now),
      ]);
      if (hits > perMinute || misses >= failedOpens) {
        res.setHeader('Retry-After', '60');
        logger.warn('setup.rate_limited', { client: req.ip, hits, misses });
        closed(res, 429, 'rate-limited');
        return;
      }
      next();
    } catch (err) {
      await fail(req, res, err);
    }
  });

  /** A portal page: a live session of a live link. POSTs are CSRF-checked. */
  const portal =
    (handler: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      const token = readCookie(req, cookieName);
      let p: PortalRequest | undefined;
      try {
        const now = links.now();
        const session = token ? await sessions.get(token, now) : undefined;
        if (!token || !session) {
          closed(res, 401, 'no-session');
          return;
        }
        const client = clientOf(req);
        const link = await links.live(session.linkId, client);
        p = { token, session, link, client };
        if (req.method === 'POST') {
          checkPortalCsrf(
            session,
            (req.body as Record<string, unknown> | undefined)?._csrf,
            req.get('origin'),
            ownOrigin,
          );
        }
        await handler(req, res, p);
      } catch (err) {
        // A link that died (expired, revoked) takes its session along.
        await fail(req, res, err, token);
      }
    };

  /** Saves the session (with a flash message) and goes back to the page, at `anchor`. */
  const back = async (res: Response, p: PortalRequest, anchor: string) => {
    await sessions.save(p.token, p.session, links.now());
    res.redirect(303, `/setup/portal#${anchor}`);
  };

  /** The link's connection id, reserved on first need (two tabs racing reserve one: the first binding wins). */
  const connectionOf = async (p: PortalRequest): Promise<string> => {
    if (p.link.connectionId) return p.link.connectionId;
    const context = { actor: linkActor(p.link) };
    const reserved = await connections.reserve(
      p.link.organizationId,
      `${p.link.organizationId} single sign-on (setup link ${p.link.id})`,
      context,
    );
    const id = await links.bindConnection(p.link, reserved);
    // Another tab bound its draft first: this one would be an orphan nobody sees.
    if (id !== reserved) await connections.release(reserved, context);
    p.link.connectionId = id;
    return id;
  };

  router.get(
    '/portal',
    portal(async (_req, res, p) => {
      const connectionId = await connectionOf(p);
      const state = await connections.describe(connectionId);
      const test = p.session.test
        ? await connections.testResult(connectionId, p.session.test.run)
        : undefined;
      // A test counts for activation only on the metadata it ran against.
      const canActivate =
        test?.status === 'passed' &&
        state.view !== undefined &&
        Date.parse(test.result.at) >= Date.parse(state.view.updatedAt);
      const domains = options.domains ? await options.domains.list(p.link.organizationId) : undefined;
      const body = portalBody({
        organizationName: await links.organizationName(p.link.organizationId),
        linkExpiresAt: p.link.expiresAt,
        session: p.session,
        state,
        test,
        canActivate,
        activatedAt: p.link.activatedAt,
        domains,
      });
      if (p.session.flash) {
        delete p.session.flash;
        await sessions.save(p.token, p.session, links.now());
      }
      sendPortalPage(res, 200, portalPage('Single sign-on setup', body, appName));
    }),
  );

  router.get(
    '/portal/vendor/:vendor',
    portal(async (req, res, p) => {
      const vendor = req.params.vendor as VendorKey;
      if (!VENDOR_KEYS.includes(vendor)) {
        throw new AdminError('ADMIN_NOT_FOUND', `There are no steps for "${vendor}".`, {
          hint: 'Pick your identity provider from the list, or “Other SAML 2.0 IdP”.',
          status: 404,
        });
      }
      p.session.vendor = vendor;
      await links.recordUse(p.link, `vendor:${vendor}`, p.client);
      await back(res, p, 'configure');
    }),
  );

  router.get(
    '/portal/sp-metadata.xml',
    portal(async (_req, res, p) => {
      const state = await connections.describe(await connectionOf(p));
      res.setHeader('Content-Disposition', 'attachment; filename="sp-metadata.xml"');
      res.type('application/samlmetadata+xml').send(state.spMetadataXml);
    }),
  );

  router.get(
    '/portal/sp-certificate.pem',
    portal(async (_req, res, p) => {
      const state = await connections.describe(await connectionOf(p));
      res.setHeader('Content-Disposition', 'attachment; filename="sp-signing-certificate.pem"');
      res.type('application/x-pem-file').send(state.spCertificatePem);
    }),
  );

  const parseForm = formBody(2 * 1024 * 1024);
  /** Parses a form body only for a live portal session: anonymous posts cost nothing. */
  const form = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      if (!(await sessions.get(readCookie(req, cookieName), links.now()))) {
        closed(res, 401, 'no-session');
        return;
      }
    } catch (err) {
      // The session store is down: its 503, not "open your link again".
      await fail(req, res, err);
      return;
    }
    parseForm(req, res, next);
  };

  router.post(
    '/portal/metadata',
    form,
    portal(async (req, res, p) => {
      const fields = (req.body ?? {}) as Record<string, string>;
      const metadataXml = fields.metadataFile?.trim() ? fields.metadataFile : undefined;
      const metadataUrl = fields.metadataUrl?.trim() || undefined;
      const connectionId = await connectionOf(p);
      try {
        if (!metadataXml && !metadataUrl) {
          throw new AdminError('ADMIN_INVALID_REQUEST', 'No metadata given.', {
            hint: 'Give the metadata URL of the application in your IdP, or upload its metadata file.',
          });
        }
        const view = await connections.submitMetadata(
          connectionId,
          {
            ...(metadataXml ? { metadataXml } : { metadataUrl: metadataUrl as string }),
            organizationId: p.link.organizationId,
            preset: PRESETS[p.session.vendor ?? 'other'],
            displayName: await links.organizationName(p.link.organizationId),
          },
          { actor: linkActor(p.link) },
        );
        await links.recordUse(p.link, 'metadata', p.client);
        const problems = view.lint.filter((l) => l.severity === 'error').length;
        p.session.flash = {
          kind: 'ok',
          text: problems
            ? `Metadata saved, with ${problems} problem(s) to fix: see below.`
            : 'Metadata saved and checked. Next: run a test sign-in.',
        };
      } catch (err) {
        if (!isAdminError(err) && !isSamlSpError(err)) throw err;
        if (err.status >= 500) throw err;
        await links.recordUse(p.link, 'metadata-refused', p.client);
        p.session.flash = { kind: 'error', code: err.code, text: err.message, hint: err.hint };
      }
      await back(res, p, 'metadata');
    }),
  );

  router.post(
    '/portal/domains',
    form,
    portal(async (req, res, p) => {
      const domains = requireDomains(options.domains);
      const domain = postedDomain(req);
      await flashing(p, 'Domain added: publish the TXT record, then press Verify.', () =>
        domains.add(p.link.organizationId, domain, { actor: linkActor(p.link) }),
      );
      await links.recordUse(p.link, 'domain-add', p.client);
      await back(res, p, 'domain');
    }),
  );

  router.post(
    '/portal/domains/verify',
    form,
    portal(async (req, res, p) => {
      const domains = requireDomains(options.domains);
      const domain = postedDomain(req);
      const owned = (await domains.list(p.link.organizationId)).some((d) => d.domain === domain);
      if (!owned) {
        p.session.flash = { kind: 'error', text: `“${domain}” is not one of this organization’s domains.` };
      } else {
        await flashing(p, '', async () => {
          const outcome = await domains.verify(p.link.organizationId, domain, { actor: linkActor(p.link) });
          p.session.flash = outcome.verified
            ? { kind: 'ok', text: `${domain} is verified.` }
            : { kind: 'error', text: outcome.message };
        });
      }
      await links.recordUse(p.link, 'domain-verify', p.client);
      await back(res, p, 'domain');
    }),
  );

  router.get(
    '/portal/test',
    portal(async (req, res, p) => {
      const connectionId = await connectionOf(p);
      const state = await connections.describe(connectionId);
      if (!state.view) {
        p.session.flash = { kind: 'error', text: 'Give us your IdP’s metadata first (step 3).' };
        await back(res, p, 'metadata');
        return;
      }
      await connections.startTest(req, res, connectionId, {
        context: { actor: linkActor(p.link) },
        onStarted: async (run) => {
          p.session.test = { run, startedAt: links.now().getTime() };
          await sessions.save(p.token, p.session, links.now());
          await links.recordUse(p.link, 'test-start', p.client);
        },
      });
    }),
  );

  router.get(
    '/portal/test-result',
    async (req, res, next) => {
      // The IdP's cross-site POST began this redirect chain; should a browser hold the Lax cookie back there,
      // a same-site hop (this page reloading itself) brings it along.
      if (!readCookie(req, cookieName) && req.query.hop === undefined) {
        const again = `${req.originalUrl}${req.originalUrl.includes('?') ? '&' : '?'}hop=1`;
        sendPortalPage(
          res,
          200,
          portalPage(
            'Test sign-in',
            html`<meta http-equiv="refresh" content="0;url=${again}"><p><a href="${again}">Show the test result</a></p>`,
            appName,
          ),
        );
        return;
      }
      next();
    },
    portal(async (req, res, p) => {
      const run = typeof req.query.run === 'string' ? req.query.run : '';
      if (p.session.test?.run !== run) {
        p.session.flash = {
          kind: 'error',
          text: 'That test sign-in was not started from this setup page. Run it again.',
        };
      } else {
        await links.recordUse(p.link, 'test-result', p.client);
      }
      await back(res, p, 'test');
    }),
  );

  router.post(
    '/portal/activate',
    form,
    portal(async (_req, res, p) => {
      const connectionId = await connectionOf(p);
      const state = await connections.describe(connectionId);
      const test = p.session.test
        ? await connections.testResult(connectionId, p.session.test.run)
        : undefined;
      if (
        test?.status !== 'passed' ||
        !state.view ||
        Date.parse(test.result.at) < Date.parse(state.view.updatedAt)
      ) {
        throw new AdminError('SETUP_TEST_REQUIRED', 'Run a test sign-in that passes before activating.', {
          hint: 'Step 5: run the test sign-in with your own account at your IdP; activate once it passed.',
          status: 409,
        });
      }
      await connections.activate(connectionId, { actor: linkActor(p.link) });
      await links.markActivated(p.link);
      await links.recordUse(p.link, 'activate', p.client);
      logger.info('setup.activated', {
        linkId: p.link.id,
        organizationId: p.link.organizationId,
        connectionId,
      });
      p.session.flash = { kind: 'ok', text: 'Single sign-on is active.' };
      await back(res, p, 'activate');
    }),
  );

  // Last: the link itself. Anything that is not a token is simply not found.
  router.get('/:token', async (req, res) => {
    try {
      const link = await links.open(req.params.token as string, clientOf(req));
      const now = links.now();
      await sessions.destroy(readCookie(req, cookieName));
      const { token, session } = await sessions.create(link.id, now);
      res.cookie(cookieName, token, {
        ...cookieOptions,
        maxAge: Math.max(0, session.expiresAt - now.getTime()),
      });
      logger.info('setup.opened', { linkId: link.id, organizationId: link.organizationId, client: req.ip });
      res.redirect(303, '/setup/portal');
    } catch (err) {
      await fail(req, res, err);
    }
  });

  return router;
}

function requireDomains(domains: PortalDomains | undefined): PortalDomains {
  if (!domains) {
    throw new AdminError('ADMIN_NOT_FOUND', 'Domain verification is not available on this server.', {
      hint: 'The application’s team verifies domains for you.',
      status: 404,
    });
  }
  return domains;
}

/** Runs a change and leaves its refusal (a 4xx) as the flash message; 5xx errors propagate. */
async function flashing(p: PortalRequest, ok: string, change: () => Promise<unknown>): Promise<void> {
  try {
    await change();
    if (ok) p.session.flash = { kind: 'ok', text: ok };
  } catch (err) {
    const error = toAdminError(err);
    if (error.status >= 500) throw err;
    p.session.flash = { kind: 'error', code: error.code, text: error.message, hint: error.hint };
  }
}

/** The domain a portal form posted, as the organizations service compares domains: trimmed, lower case. */
function postedDomain(req: { body?: unknown }): string {
  return String((req.body as Record<string, unknown> | undefined)?.domain ?? '')
    .trim()
    .toLowerCase();
}
