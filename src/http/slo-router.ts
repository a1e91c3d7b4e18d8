/**
 * The Single Logout endpoint, GET and POST /:connectionId/slo, mounted by the SAML router (so under /saml by
 * default). Thin like the rest of the adapters: read the binding off the request, call the LogoutService,
 * write the answer.
 *
 * - GET: HTTP-Redirect binding, read from the raw URL (req.originalUrl), never from re-encoded query params.
 * - POST application/x-www-form-urlencoded: HTTP-POST binding (and Keycloak's form-encoded back-channel).
 * - POST text/xml (or application/soap+xml): SOAP binding, back-channel, no cookie; answered in SOAP.
 *
 * A refused message touches no session: front-channel refusals get the usual error page or JSON with the code,
 * SOAP refusals a SOAP fault carrying the code.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { SamlSpError } from '../core/errors.ts';
import type { IncomingLogoutMessage } from '../core/logout/decode.ts';
import type { OutgoingLogoutMessage } from '../core/logout/encode.ts';
import { SOAP_CONTENT_TYPE } from '../core/logout/soap.ts';
import { AUTO_POST_SCRIPT_HASH, renderAutoPostForm } from '../core/request/post-form.ts';
import { escapeXml } from '../core/xml/write.ts';
import { LogoutService, type SloResult } from '../sp/logout-service.ts';
import { safeReturnTo } from '../sp/return-to.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { looksLikeToken } from '../sp/tokens.ts';
import { type LogoutAttempt, newTraceId } from '../trace/index.ts';
import { browserKeyCookieName, browserKeyOf } from './browser-key.ts';
import { clientFacts } from './client-facts.ts';
import { readCookie, sessionCookieOptions } from './cookies.ts';
import { describeError, methodNotAllowed } from './error-response.ts';
import { sendSamlError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import { sendLogoutNotice } from './logout-pages.ts';
import { redirectToReturnTo } from './redirect.ts';

export interface SloRouterOptions {
  /** The session cookie name (the browser key cookie is derived from it). Default 'saml_sp_session'. */
  sessionCookieName?: string;
  logger?: Logger;
  /** Largest accepted POST body in bytes. Default 512 KiB. */
  maxBodyBytes?: number;
  /** Share one LogoutService (and its options) with the /logout route. Default: a new one. */
  logout?: LogoutService;
  /** Records one trace per SLO attempt (the server passes its TraceService). */
  traces?: { recordLogout(attempt: LogoutAttempt): Promise<void> };
  /** Who end users should contact when a sign-out fails: shown on the error page. */
  supportContact?: string | undefined;
}

const SOAP_TYPES = ['text/xml', 'application/soap+xml', 'application/xml'];

/**
 * @example
 * ```ts
 * app.use('/saml', sloRouter(sp)); // samlRouter(sp) already includes it
 * ```
 */
export function sloRouter(sp: ServiceProvider, options: SloRouterOptions = {}): Router {
  const cookieName = options.sessionCookieName ?? 'saml_sp_session';
  const keyCookie = browserKeyCookieName(cookieName);
  const logger = options.logger ?? silentLogger;
  const logout = options.logout ?? new LogoutService(sp);
  const secure = sp.baseUrl.startsWith('https:');
  const limit = options.maxBodyBytes ?? 512 * 1024;
  const form = express.urlencoded({ extended: false, limit, parameterLimit: 10 });
  const soap = express.text({ type: () => true, limit });
  const router = express.Router();
  const support = options.supportContact ? { supportContact: options.supportContact } : {};
  /** Traces one attempt; recording never changes the answer. */
  const trace = (req: Request, attempt: Omit<LogoutAttempt, 'connectionId' | 'client'>): Promise<void> =>
    (
      options.traces?.recordLogout({
        ...attempt,
        connectionId: String(req.params.connectionId),
        client: clientFacts(req),
      }) ?? Promise.resolve()
    ).catch(() => {});

  router.get('/:connectionId/slo', async (req, res) => {
    const q = req.originalUrl.indexOf('?');
    const rawQuery = q < 0 ? '' : req.originalUrl.slice(q + 1);
    await handle(req, res, { binding: 'redirect', rawQuery });
  });

  router.post('/:connectionId/slo', (req, res, next) => {
    const isSoap = typeof req.is(SOAP_TYPES) === 'string';
    (isSoap ? soap : form)(req, res, (err?: unknown) => {
      if (err) {
        const traceId = newTraceId();
        const error = bodyError(err);
        void trace(req, { traceId, ok: false, verified: false, error, checks: [] }).then(() =>
          fail(req, res, error, isSoap, traceId),
        );
        return;
      }
      next();
    });
  });
  router.post('/:connectionId/slo', async (req, res) => {
    if (typeof req.body === 'string') {
      await handle(req, res, { binding: 'soap', body: req.body });
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    await handle(req, res, {
      binding: 'post',
      fields: { SAMLRequest: body.SAMLRequest, SAMLResponse: body.SAMLResponse, RelayState: body.RelayState },
    });
  });

  async function handle(req: Request, res: Response, message: IncomingLogoutMessage): Promise<void> {
    const connectionId = String(req.params.connectionId);
    const traceId = newTraceId();
    const binding = { check: 'binding', status: 'pass' as const, detail: message.binding };
    let result: SloResult;
    try {
      result = await logout.handleSloMessage(connectionId, {
        message,
        browserKey: browserKeyOf(req, keyCookie),
      });
    } catch (err) {
      // Refused before (or while) its signature was checked: anybody's message, traced as unverified.
      const { code, message: text } = describeError(err);
      await trace(req, {
        traceId,
        ok: false,
        verified: false,
        error: err,
        checks: [binding, { check: 'logout-message', status: 'fail', detail: `${code}: ${text}` }],
      });
      fail(req, res, err, message.binding === 'soap', traceId);
      return;
    }
    const verifiedCheck = { check: 'logout-message', status: 'pass' as const, detail: result.kind };
    if (result.kind === 'logout-response') {
      const failed = result.response.outcome === 'failure';
      await trace(req, {
        traceId,
        ok: !failed,
        verified: true,
        ...(failed
          ? {
              error: new SamlSpError('SAML_LOGOUT_FAILED', 'The IdP reported that Single Logout failed.', {
                hint: 'Check the IdP logs for this LogoutRequest.',
              }),
            }
          : {}),
        checks: [
          binding,
          verifiedCheck,
          { check: 'idp-status', status: failed ? 'fail' : 'pass', detail: result.response.outcome },
        ],
      });
    } else {
      await trace(req, {
        traceId,
        ok: true,
        verified: true,
        nameId: result.request.nameId.value,
        checks: [
          binding,
          verifiedCheck,
          { check: 'sessions', status: 'pass', detail: `${result.endedSessionIds.length} session(s) ended` },
        ],
      });
    }
    res.setHeader('Cache-Control', 'no-store');
    const token = readCookie(req, cookieName);

    if (result.kind === 'logout-response') {
      const { response } = result;
      // The local session ended when the logout started; end whatever this cookie still holds, in every case.
      if (looksLikeToken(token)) await sp.endSession(token);
      res.clearCookie(cookieName, sessionCookieOptions(secure));
      const log = response.outcome === 'failure' ? logger.warn : logger.info;
      log('saml.logout_response', {
        connectionId,
        inResponseTo: response.inResponseTo,
        outcome: response.outcome,
        statusCodes: response.statusCodes,
        ...(response.statusMessage ? { statusMessage: response.statusMessage } : {}),
        ...(response.outcome === 'failure'
          ? {
              code: 'SAML_LOGOUT_FAILED',
              hint: 'The IdP refused or failed the LogoutRequest: check its logs for this request, and that it knows the SP signing certificate and the NameID/SessionIndex it issued.',
            }
          : {}),
      });
      if (response.outcome === 'success') {
        if (req.accepts(['html', 'json']) === 'json') {
          res.json({ loggedOut: true, singleLogout: 'success', returnTo: safeReturnTo(result.returnTo) });
          return;
        }
        redirectToReturnTo(res, result.returnTo);
        return;
      }
      sendLogoutNotice(req, res, {
        kind: response.outcome,
        returnTo: result.returnTo,
        connectionId,
        statusCodes: response.statusCodes,
        ...(response.statusMessage ? { statusMessage: response.statusMessage } : {}),
        ...(response.outcome === 'failure' ? { code: 'SAML_LOGOUT_FAILED' } : {}),
      });
      return;
    }

    logger.info('saml.logout_request', {
      connectionId,
      requestId: result.request.id,
      binding: result.request.binding,
      destination: result.request.destination ?? null,
      nameId: result.request.nameId.value,
      sessionIndexes: result.request.sessionIndexes,
      endedSessions: result.endedSessionIds.length,
      outcome: result.outcome,
    });
    if (LogoutService.endedThisSession(result, looksLikeToken(token) ? token : undefined)) {
      res.clearCookie(cookieName, sessionCookieOptions(secure));
    }
    if (!result.answer) {
      sendLogoutNotice(req, res, { kind: 'idp', returnTo: '/', connectionId });
      return;
    }
    sendOutgoing(res, result.answer);
  }

  function fail(req: Request, res: Response, err: unknown, isSoap: boolean, traceId = newTraceId()): void {
    if (!isSoap) {
      sendSamlError(
        req,
        res,
        err,
        logger,
        { route: 'slo', connectionId: req.params.connectionId },
        { title: 'Sign-out failed', traceId, endUser: support },
      );
      return;
    }
    const error = describeError(err);
    logger.warn('saml.rejected', {
      traceId,
      route: 'slo',
      binding: 'soap',
      connectionId: req.params.connectionId,
      code: error.code,
      message: error.message,
      hint: error.hint,
      details: error.details,
    });
    // SOAP 1.1 §6.2: a fault travels with HTTP 500. The SAML code is in the faultstring and the detail. A store
    // outage is not a fault of the message: 503 with Retry-After tells the IdP to try again later.
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    res
      .status(error.status === 503 ? 503 : 500)
      .type(SOAP_CONTENT_TYPE)
      .send(
        '<?xml version="1.0" encoding="UTF-8"?>' +
          '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
          `<faultcode>soap:${error.status >= 500 ? 'Server' : 'Client'}</faultcode>` +
          `<faultstring>${escapeXml(`${error.code}: ${error.message}`)}</faultstring>` +
          `<detail><code>${escapeXml(error.code)}</code></detail>` +
          '</soap:Fault></soap:Body></soap:Envelope>',
      );
  }

  router.all('/:connectionId/slo', methodNotAllowed(['GET', 'POST'], support));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    fail(req, res, err, false);
  });

  return router;
}

/** Sends a logout message over its binding: 303 to the IdP, an auto-posting form, or a SOAP body. */
export function sendOutgoing(res: Response, message: OutgoingLogoutMessage): void {
  res.setHeader('Cache-Control', 'no-store');
  switch (message.binding) {
    case 'redirect':
      res.redirect(303, message.url);
      return;
    case 'post':
      res.setHeader('Content-Security-Policy', `default-src 'none'; script-src ${AUTO_POST_SCRIPT_HASH}`);
      res
        .type('html')
        .send(renderAutoPostForm({ action: message.action, fields: message.fields, title: 'Signing out…' }));
      return;
    case 'soap':
      res.type(SOAP_CONTENT_TYPE).send(message.body);
      return;
  }
}

/** body-parser's errors, in our vocabulary. */
function bodyError(err: unknown): SamlSpError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new SamlSpError(
      'SAML_MESSAGE_TOO_LARGE',
      'The POST body is larger than the SLO endpoint accepts.',
      {
        hint: 'A genuine logout message is a few kilobytes.',
        status: 413,
      },
    );
  }
  return new SamlSpError('SAML_MALFORMED', 'The POST body could not be read.', {
    hint: 'The SLO endpoint takes an HTTP-POST form (SAMLRequest / SAMLResponse) or a SOAP envelope as text/xml.',
    cause: err,
  });
}
