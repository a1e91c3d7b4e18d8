/**
 * The dev IdP's HTTP surface, an Express router mounted at the path of `baseUrl`:
 *
 *   GET  /metadata        IdP metadata
 *   GET  /sso, POST /sso  AuthnRequest (Redirect / POST binding) -> login form, or straight back with a session
 *   POST /login           username + password -> auto-posting SAMLResponse form
 *   GET  /logout          ends the IdP session and tells every SP that took part (logout-propagation.ts)
 *   GET, POST /slo        the SingleLogoutService advertised in metadata: an SP's LogoutRequest ends the IdP
 *                         session, the other SPs of that session are told (front or back channel), and the SP
 *                         is answered with a signed LogoutResponse; an SP's LogoutResponse moves a front-channel
 *                         logout on to the next SP, or (to an IdP-initiated logout) is recorded and shown; with
 *                         neither, the same as /logout
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isSamlSpError } from '../core/errors.ts';
import { AUTO_POST_SCRIPT_HASH, renderAutoPostForm } from '../core/request/post-form.ts';
import { type DevIdpLogoutDeps, endSpLogoutSessions, recordSpLogoutResponse } from './logout.ts';
import type { DevIdpLogoutMessage } from './logout-messages.ts';
import {
  continueLogout,
  type LogoutPropagationDeps,
  noticesFor,
  type PropagationStep,
  propagateLogout,
} from './logout-propagation.ts';
import { readSloMessage, type SloMessage } from './logout-read.ts';
import { idpEndpoints } from './metadata.ts';
import { errorPage, loggedOutPage, loginPage, logoutResponsePage } from './pages.ts';
import { type AuthnRequestMessage, type ReadAuthnRequestContext, readAuthnRequest } from './request.ts';
import { buildLoginResponse, type ResponseIssuer } from './response.ts';
import type { IdpSession, IdpSessionStore, PendingRequestStore } from './sessions.ts';
import { checkCredentials, type DevIdpUser, findUser } from './users.ts';

/** The cookie that carries the IdP session id. */
export const SESSION_COOKIE = 'idp_session';

/** Everything the router works with; createDevIdp wires it. */
export interface DevIdpRouterDeps {
  issuer: ResponseIssuer;
  metadataXml: string;
  users: readonly DevIdpUser[];
  requests: ReadAuthnRequestContext;
  sessions: IdpSessionStore;
  pending: PendingRequestStore;
  logout: DevIdpLogoutDeps;
  propagation: LogoutPropagationDeps;
}

/** What a response is about to answer: a verified AuthnRequest, live or taken back from the pending store. */
interface Answer {
  spEntityId: string;
  requestId: string;
  acsUrl: string;
  relayState?: string;
}

/** Builds the router. Mount it where `baseUrl` points, e.g. `app.use('/idp', router)`. */
export function createDevIdpRouter(deps: DevIdpRouterDeps): Router {
  const { issuer, users, sessions, pending } = deps;
  const baseUrl = issuer.identity.baseUrl;
  const urls = idpEndpoints(baseUrl);
  const cookieOptions = {
    httpOnly: true,
    // Lax: the session rides along on the top-level GET of a Redirect-binding AuthnRequest from another site,
    // never on cross-site subrequests. (A cross-site POST-binding request therefore always shows the form.)
    sameSite: 'lax' as const,
    path: new URL(baseUrl).pathname || '/',
    secure: baseUrl.startsWith('https:'),
  };
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '512kb' });

  router.get('/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(deps.metadataXml);
  });

  router.get('/sso', async (req, res) => {
    await handleAuthnRequest(req, res, { binding: 'redirect', rawQuery: rawQueryOf(req) });
  });

  router.post('/sso', form, async (req, res) => {
    const body = bodyOf(req);
    await handleAuthnRequest(req, res, {
      binding: 'post',
      samlRequest: body.SAMLRequest,
      relayState: body.RelayState,
    });
  });

  router.post('/login', form, async (req, res) => {
    const now = new Date();
    const body = bodyOf(req);
    const waiting = pending.get(body.pending, now);
    if (!waiting) {
      sendPage(
        res,
        400,
        errorPage(
          'Sign-in expired',
          'This sign-in request is unknown or has expired. Start again from the application.',
        ),
      );
      return;
    }
    const user = checkCredentials(users, body.username ?? '', body.password ?? '');
    if (!user) {
      const page = loginPage({
        action: urls.login,
        pendingId: waiting.id,
        spEntityId: waiting.spEntityId,
        users,
        username: body.username ?? '',
        error: 'Wrong username or password.',
      });
      sendPage(res, 401, page);
      return;
    }
    pending.delete(waiting.id);
    // A password sign-in always gets a fresh session id: an id planted in the browser beforehand is worthless.
    sessions.end(cookieOf(req));
    const session = sessions.create(user.username, now);
    res.cookie(SESSION_COOKIE, session.id, cookieOptions);
    await answerWithResponse(res, session, waiting);
  });

  /** Sign-out at the IdP itself: ends this browser's IdP session and tells the SPs that took part. */
  const logout = async (req: Request, res: Response): Promise<void> => {
    const ended = sessions.end(cookieOf(req));
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    if (!ended) {
      sendPage(res, 200, loggedOutPage(false));
      return;
    }
    sendStep(res, await propagateLogout(deps.propagation, { notices: noticesFor([ended]) }, new Date()));
  };
  router.get('/logout', logout);

  const slo = async (req: Request, res: Response, message: SloMessage): Promise<void> => {
    const now = new Date();
    const read = await readSloMessage(message, deps.logout.read);
    if (read.kind === 'LogoutResponse') {
      const record = recordSpLogoutResponse(deps.logout, read, now);
      const step = await continueLogout(deps.propagation, read, now);
      if (step) {
        sendStep(res, step);
        return;
      }
      sendPage(res, 200, logoutResponsePage(record.spEntityId, record.statusCodes, record.verified));
      return;
    }
    const cookieSession = cookieOf(req);
    const { ended } = endSpLogoutSessions(deps.logout, read, cookieSession, now);
    if (ended.some((s) => s.id === cookieSession)) res.clearCookie(SESSION_COOKIE, cookieOptions);
    const notices = noticesFor(ended, read.sp.entityId);
    sendStep(res, await propagateLogout(deps.propagation, { initiator: read, notices }, now));
  };
  router.get('/slo', async (req, res) => {
    const rawQuery = rawQueryOf(req);
    if (!/(^|&)SAML(Request|Response)=/.test(rawQuery)) {
      await logout(req, res);
      return;
    }
    await slo(req, res, { binding: 'redirect', rawQuery });
  });
  router.post('/slo', form, async (req, res) => {
    const body = bodyOf(req);
    if (body.SAMLRequest === undefined && body.SAMLResponse === undefined) {
      await logout(req, res);
      return;
    }
    await slo(req, res, { binding: 'post', fields: body });
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isSamlSpError(err)) {
      sendPage(res, err.status, errorPage('Request refused', err.message, err.code));
      return;
    }
    // Body-parser refusals (413 too large, 400 bad encoding) carry their own 4xx status.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendPage(
        res,
        status,
        errorPage('Request refused', err instanceof Error ? err.message : 'Bad request.'),
      );
      return;
    }
    console.error('dev IdP: unexpected error', err);
    sendPage(res, 500, errorPage('Development IdP error', err instanceof Error ? err.message : String(err)));
  });

  async function handleAuthnRequest(
    req: Request,
    res: Response,
    message: AuthnRequestMessage,
  ): Promise<void> {
    const now = new Date();
    const accepted = await readAuthnRequest(message, deps.requests);
    const answer: Answer = {
      spEntityId: accepted.sp.entityId,
      requestId: accepted.requestId,
      acsUrl: accepted.acsUrl,
    };
    if (accepted.relayState !== undefined) answer.relayState = accepted.relayState;
    const session = sessions.get(cookieOf(req), now);
    if (session && !accepted.forceAuthn) {
      await answerWithResponse(res, session, answer);
      return;
    }
    const waiting = pending.save(answer, now);
    // A login hint pre-fills the username: the account with that email, else the hint as it came.
    const hint = accepted.loginHint;
    const hinted = hint
      ? (users.find((u) => u.email.toLowerCase() === hint.toLowerCase())?.username ?? hint)
      : undefined;
    sendPage(
      res,
      200,
      loginPage({
        action: urls.login,
        pendingId: waiting.id,
        spEntityId: answer.spEntityId,
        users,
        ...(hinted ? { username: hinted } : {}),
      }),
    );
  }

  async function answerWithResponse(res: Response, session: IdpSession, answer: Answer): Promise<void> {
    const now = new Date();
    const sp = await deps.requests.directory.find(answer.spEntityId);
    const user = findUser(users, session.username);
    if (!sp || !user) {
      sendPage(
        res,
        400,
        errorPage('Cannot sign in', 'The application or the user is no longer known to the IdP.'),
      );
      return;
    }
    const participant = sessions.join(session, sp.entityId, user.email, now);
    const samlResponse = await buildLoginResponse(issuer, {
      sp,
      user,
      acsUrl: answer.acsUrl,
      inResponseTo: answer.requestId,
      sessionIndex: participant.sessionIndex,
      authnInstant: session.authnInstant,
    });
    // The same auto-post page the SP uses for its requests: it refuses a non-http(s) ACS URL from hostile metadata.
    const page = renderAutoPostForm({
      action: answer.acsUrl,
      fields: { SAMLResponse: samlResponse, RelayState: answer.relayState },
      title: 'Signing in…',
    });
    sendPage(res, 200, page, `script-src ${AUTO_POST_SCRIPT_HASH}`);
  }

  return router;
}

/** The next step of a logout in the browser: a message to carry, or the IdP's signed-out page. */
function sendStep(res: Response, step: PropagationStep): void {
  if (step.kind === 'message') sendLogoutMessage(res, step.message);
  else sendPage(res, 200, loggedOutPage(true, step.unconfirmed));
}

/** Sends a front-channel logout message: a redirect, or the auto-posting form. */
function sendLogoutMessage(res: Response, message: DevIdpLogoutMessage): void {
  if (message.binding === 'redirect') {
    res.set('Cache-Control', 'no-store').redirect(302, message.url);
    return;
  }
  if (message.binding === 'soap') throw new Error('dev IdP: a SOAP message cannot go through the browser');
  const page = renderAutoPostForm({ action: message.action, fields: message.fields, title: 'Signing out…' });
  sendPage(res, 200, page, `script-src ${AUTO_POST_SCRIPT_HASH}`);
}

function sendPage(res: Response, status: number, html: string, extraCsp?: string): void {
  const csp = ["default-src 'none'", "style-src 'unsafe-inline'", "frame-ancestors 'none'"];
  if (extraCsp) csp.push(extraCsp);
  res
    .status(status)
    .set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': csp.join('; ') })
    .type('html');
  res.send(html);
}

/** The query string exactly as the browser sent it: Redirect-binding signatures cover its original encoding. */
function rawQueryOf(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? '' : req.originalUrl.slice(q + 1);
}

/** String fields of a urlencoded body; anything else (arrays from repeated fields, no body) reads as absent. */
function bodyOf(req: Request): Record<string, string | undefined> {
  const body: unknown = req.body;
  const out: Record<string, string | undefined> = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** The `idp_session` cookie, read without a cookie-parser dependency. */
function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
