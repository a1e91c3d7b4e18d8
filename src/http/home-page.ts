/**
 * The demo home page: who is signed in, and "Sign in with your work email" (the discovery form). The list of
 * connections, one public button each, is shown only when asked for (`listConnections`, HOME_LISTS_CONNECTIONS):
 * on a real deployment it would publish the customer list.
 */
import express, { type Router } from 'express';
import { connectionStatus } from '../core/connection-lifecycle.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { currentSession } from './current-session.ts';
import { discoveryForm } from './discovery-routes.ts';
import { errorHandler } from './error-response.ts';
import { html, page } from './html.ts';
import { type Logger, silentLogger } from './logger.ts';
import { LOGOUT_TOKEN_FIELD, logoutToken } from './same-origin.ts';
import { DEFAULT_SESSION_COOKIE } from './saml-router.ts';

export function homePage(
  sp: ServiceProvider,
  options: {
    sessionCookieName?: string;
    title?: string;
    logger?: Logger;
    /** Show a sign-in button per connection (HOME_LISTS_CONNECTIONS). Off by default. */
    listConnections?: boolean;
    /** A line under the email form, e.g. the embedded dev IdP's test accounts. */
    note?: string;
  } = {},
): Router {
  const cookieName = options.sessionCookieName ?? DEFAULT_SESSION_COOKIE;
  const title = options.title ?? 'saml-sp-kit';
  const router = express.Router();
  router.get('/', async (req, res) => {
    const [current, all] = await Promise.all([
      currentSession(sp, req, cookieName),
      options.listConnections ? sp.stores.connections.list() : Promise.resolve([]),
    ]);
    // Drafts and connections awaiting their test refuse sign-ins: no button for them.
    const connections = all.filter((c) => connectionStatus(c) === 'active');
    const who = current
      ? html`<p>Signed in as <strong>${current.user.displayName ?? current.user.email ?? current.user.nameId}</strong>
  (${current.user.email}) through <code>${current.session.connectionId}</code>.</p>
<table>
  <tr><th>NameID</th><td><code>${current.session.nameId.value}</code></td></tr>
  <tr><th>Groups</th><td>${current.user.groups.join(', ')}</td></tr>
</table>
<p><a href="/me">Your profile as JSON</a></p>
<form method="post" action="/logout?returnTo=/"><input type="hidden" name="${LOGOUT_TOKEN_FIELD}" value="${logoutToken(current.token)}"><button type="submit" id="sign-out">Sign out</button></form>`
      : html`<p>Nobody is signed in.</p>`;
    const links = connections.map(
      (c) =>
        html`<li><a class="button" href="${sp.routePrefix}/${encodeURIComponent(c.id)}/login?returnTo=/">Sign in with ${c.displayName}</a>
  <span class="muted">(<code>${c.id}</code>, <a href="${sp.routePrefix}/${encodeURIComponent(c.id)}/metadata">SP metadata</a>)</span></li>`,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      page(
        title,
        html`<h1>${title}</h1>
${who}
<h2>Sign in with your work email</h2>
${discoveryForm({ action: `${sp.routePrefix}/discover`, returnTo: '/' })}
${options.note ? html`<p class="muted" id="home-note">${options.note}</p>` : ''}
${
  options.listConnections
    ? html`<h2>Connections</h2>
${connections.length ? html`<ul>${links}</ul>` : html`<p>No connections yet. Add one with <code>saml-sp connections add</code>.</p>`}`
    : ''
}`,
      ),
    );
  });
  router.use(errorHandler({ logger: options.logger ?? silentLogger }));
  return router;
}
