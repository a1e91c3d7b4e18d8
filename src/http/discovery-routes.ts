/**
 * Sign in by work email (issue #12 item 5), mounted inside samlRouter:
 *
 *   GET  /discover?returnTo=/path        the form: "Enter your work email"
 *   POST /discover  email=…&returnTo=…   one connection: 303 to its login (with the login hint);
 *                                        several: a chooser; none: the form again, 404 SAML_NO_SSO_FOR_EMAIL
 *   POST /discover  {"email": "…"}       JSON: { connections: [{ id, displayName, loginUrl }] } or the 404 error
 *
 * What a stranger learns (enumeration): only what any "enter your email" sign-in must reveal, whether single
 * sign-on exists for that address and where it leads. An unknown domain, a domain claimed but not verified,
 * and a verified domain without a usable connection get the same answer, with the same wording and status;
 * the organization's id and name are never shown. Look-ups are throttled per client address (a sweep of
 * domain names needs many), and the email never travels in a GET query the logs would keep.
 */
import express, { type Request, type Response, type Router } from 'express';
import { SamlSpError } from '../core/errors.ts';
import type { Connection } from '../core/types.ts';
import { safeReturnTo } from '../sp/return-to.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { MemoryThrottleStore } from '../store/memory/shared-state.ts';
import { prefersJson } from './error-response.ts';
import { sendSamlError } from './errors.ts';
import { html, page } from './html.ts';
import type { Logger } from './logger.ts';

export interface DiscoveryRoutesOptions {
  logger: Logger;
  /** Look-ups per client address per minute. Default 30. */
  maxLookupsPerMinute?: number;
}

const WINDOW_MS = 60_000;

/** The discovery page and API; mount inside the SAML router (its paths start at the router's prefix). */
export function discoveryRoutes(sp: ServiceProvider, options: DiscoveryRoutesOptions): Router {
  const { logger } = options;
  const limit = options.maxLookupsPerMinute ?? 30;
  const throttle = sp.stores.throttle ?? new MemoryThrottleStore();
  const router = express.Router();
  const bodies = [
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 }),
    express.json({ limit: '4kb' }),
  ];

  router.get('/discover', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(discoveryPage({ returnTo: safeReturnTo(req.query.returnTo) }));
  });

  router.post('/discover', ...bodies, async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    const returnTo = safeReturnTo(body.returnTo);
    const json = typeof req.is('application/json') === 'string';
    // A JSON question gets a JSON answer, errors included, even from a client that sent Accept: */*.
    if (json) req.headers.accept = 'application/json';
    try {
      const hits = await throttle.hit(`discover:${req.ip ?? 'unknown'}`, WINDOW_MS, sp.now());
      if (hits > limit) {
        res.setHeader('Retry-After', String(WINDOW_MS / 1000));
        throw new SamlSpError('SAML_DISCOVERY_RATE_LIMITED', 'Too many email look-ups from this address.', {
          hint: 'Wait a minute, then try again.',
          status: 429,
        });
      }
      const found = await sp.discover(email);
      const choices = (found?.connections ?? []).map((c) => ({
        id: c.id,
        displayName: c.displayName,
        loginUrl: loginUrl(sp, c, returnTo, email),
      }));
      logger.info('saml.discovery', { found: choices.length > 0, choices: choices.length });
      if (prefersJson(req)) {
        if (choices.length === 0) throw noSso();
        res.setHeader('Cache-Control', 'no-store');
        res.json({ connections: choices });
        return;
      }
      res.setHeader('Cache-Control', 'no-store');
      if (choices.length === 0) {
        res
          .status(404)
          .type('html')
          .send(discoveryPage({ returnTo, email, notFound: true }));
        return;
      }
      if (choices.length === 1) {
        res.redirect(303, (choices[0] as { loginUrl: string }).loginUrl);
        return;
      }
      res.type('html').send(chooserPage(choices));
    } catch (err) {
      sendSamlError(req, res, err, logger, { route: 'discover' }, { title: 'Sign-in by email failed' });
    }
  });

  return router;
}

function loginUrl(sp: ServiceProvider, connection: Connection, returnTo: string, email: string): string {
  const query = new URLSearchParams({ returnTo, login_hint: email });
  return `${sp.routePrefix}/${encodeURIComponent(connection.id)}/login?${query}`;
}

function noSso(): SamlSpError {
  return new SamlSpError('SAML_NO_SSO_FOR_EMAIL', 'No single sign-on is set up for this email address.', {
    hint: 'Check the address, or sign in another way. Your IT administrator can tell you whether your company uses single sign-on here.',
    status: 404,
  });
}

/** The form; shared by the home page so both look the same. */
export function discoveryForm(input: { action: string; returnTo: string; email?: string }) {
  return html`<form method="post" action="${input.action}" id="discover-form">
  <label for="email">Work email</label><br>
  <input type="email" id="email" name="email" autocomplete="email" required maxlength="320" value="${input.email ?? ''}" placeholder="you@company.com">
  <input type="hidden" name="returnTo" value="${input.returnTo}">
  <button type="submit" id="discover-submit">Continue</button>
</form>`;
}

function discoveryPage(input: { returnTo: string; email?: string; notFound?: boolean }): string {
  return page(
    'Sign in with your work email',
    html`<h1>Sign in with your work email</h1>
${
  input.notFound
    ? html`<p class="error" role="alert" id="discover-error">No single sign-on is set up for this email address. Check it, or sign in another way.
  <span class="muted">(<code>SAML_NO_SSO_FOR_EMAIL</code>)</span></p>`
    : html`<p>Enter your work email and we will send you to your company's sign-in page.</p>`
}
${discoveryForm({ action: 'discover', returnTo: input.returnTo, ...(input.email ? { email: input.email } : {}) })}`,
  );
}

function chooserPage(choices: { id: string; displayName: string; loginUrl: string }[]): string {
  return page(
    'Choose how to sign in',
    html`<h1>Choose how to sign in</h1>
<p>Your company has more than one sign-in option.</p>
<ul id="discover-choices">${choices.map(
      (c) => html`<li><a class="button" href="${c.loginUrl}">${c.displayName}</a></li>`,
    )}</ul>`,
  );
}
