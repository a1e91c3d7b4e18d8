/**
 * The organizations section of the admin page (HTML, no JavaScript), mounted by page-routes.ts:
 *
 *   GET  /organizations                       the list, and the "new organization" form
 *   POST /organizations                       create (name, optional id, domains one per line)
 *   GET  /organizations/:id                   policy, domains with the DNS record to publish, connections
 *   POST /organizations/:id/policy            ssoRequired, restrictToVerifiedDomains, jit
 *   POST /organizations/:id/domains           add a domain
 *   POST /organizations/:id/domains/verify    domain=…&method=dns|admin
 *   POST /organizations/:id/domains/remove    domain=…
 *   POST /organizations/:id/delete            refused while connections remain
 *
 * The page routes' session, CSRF and error handling come in as `signedIn` and `form`.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ChangeContext } from '../../sp/change-context.ts';
import type { OrganizationService } from '../../sp/organization-service.ts';
import type { OrganizationView } from '../../sp/organization-view.ts';
import { html } from '../html.ts';
import type { AdminSession, AdminSessions } from './auth.ts';
import { adminPage, csrfField, sendAdminPage } from './pages/layout.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface OrganizationPagesOptions {
  organizations: OrganizationService;
  sessions: AdminSessions;
  /** Wraps a handler: requires an admin session, checks CSRF on POST, renders errors. */
  signedIn: (handler: Handler) => RequestHandler;
  /** Reads a form body for a signed-in admin only. */
  form: RequestHandler[];
  /** Runs a change and leaves its outcome as the session's flash message. */
  flashing: (session: AdminSession, ok: string, change: () => Promise<unknown>) => Promise<void>;
  /** Takes the session's one-shot flash message. */
  takeFlash: (session: AdminSession) => Promise<AdminSession['flash']>;
}

/** The page session's admin: one shared token, so one name (as the API). */
const PAGE_CONTEXT: ChangeContext = { actor: { kind: 'admin-session', name: 'admin' } };

export function organizationPages(options: OrganizationPagesOptions): Router {
  const { organizations, sessions, signedIn, form, flashing, takeFlash } = options;
  const router = express.Router();
  const field = (req: Request, name: string) => {
    const value = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value.trim() : '';
  };
  const back = async (res: Response, session: AdminSession, id: string) => {
    await sessions.save(session);
    res.redirect(303, `/admin/organizations/${encodeURIComponent(id)}`);
  };

  router.get(
    '/organizations',
    signedIn(async (_req, res, session) => {
      const views = await organizations.views();
      sendAdminPage(
        res,
        200,
        adminPage('Organizations', organizationList(views, session.csrfToken), {
          csrfToken: session.csrfToken,
          flash: await takeFlash(session),
        }),
      );
    }),
  );

  router.post(
    '/organizations',
    ...form,
    signedIn(async (req, res, session) => {
      const domains = field(req, 'domains')
        .split(/[\s,]+/)
        .filter((d) => d !== '');
      let id = '';
      await flashing(session, 'Organization created.', async () => {
        const created = await organizations.create(
          { name: field(req, 'name'), ...(field(req, 'id') ? { id: field(req, 'id') } : {}), domains },
          PAGE_CONTEXT,
        );
        id = created.id;
      });
      await sessions.save(session);
      res.redirect(303, id ? `/admin/organizations/${encodeURIComponent(id)}` : '/admin/organizations');
    }),
  );

  router.get(
    '/organizations/:id',
    signedIn(async (req, res, session) => {
      const view = await organizations.view(req.params.id as string);
      sendAdminPage(
        res,
        200,
        adminPage(view.name, organizationDetail(view, session.csrfToken), {
          csrfToken: session.csrfToken,
          flash: await takeFlash(session),
        }),
      );
    }),
  );

  router.post(
    '/organizations/:id/policy',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const on = (name: string) => field(req, name) === 'on';
      await flashing(session, 'Policy saved.', () =>
        organizations.update(
          id,
          {
            policy: {
              ssoRequired: on('ssoRequired'),
              restrictToVerifiedDomains: on('restrictToVerifiedDomains'),
              jit: on('jit'),
            },
          },
          PAGE_CONTEXT,
        ),
      );
      await back(res, session, id);
    }),
  );

  router.post(
    '/organizations/:id/domains',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const domain = field(req, 'domain');
      await flashing(session, `Domain ${domain} added. Publish its DNS record, then verify it.`, () =>
        organizations.addDomain(id, domain, PAGE_CONTEXT),
      );
      await back(res, session, id);
    }),
  );

  router.post(
    '/organizations/:id/domains/verify',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const domain = field(req, 'domain');
      const byAdmin = field(req, 'method') === 'admin';
      await flashing(session, `Domain ${domain} verified.`, () =>
        byAdmin
          ? organizations.markDomainVerified(id, domain, PAGE_CONTEXT)
          : organizations.verifyDomain(id, domain, PAGE_CONTEXT),
      );
      await back(res, session, id);
    }),
  );

  router.post(
    '/organizations/:id/domains/remove',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      const domain = field(req, 'domain');
      await flashing(session, `Domain ${domain} removed.`, () =>
        organizations.removeDomain(id, domain, PAGE_CONTEXT),
      );
      await back(res, session, id);
    }),
  );

  router.post(
    '/organizations/:id/delete',
    ...form,
    signedIn(async (req, res, session) => {
      const id = req.params.id as string;
      if (field(req, 'confirm') !== id) {
        session.flash = { kind: 'error', text: `Type the organization id "${id}" to delete it.` };
        await back(res, session, id);
        return;
      }
      let deleted = false;
      await flashing(session, `Organization "${id}" deleted.`, async () => {
        await organizations.remove(id, PAGE_CONTEXT);
        deleted = true;
      });
      if (deleted) {
        await sessions.save(session);
        res.redirect(303, '/admin/organizations');
        return;
      }
      await back(res, session, id);
    }),
  );

  return router;
}

function organizationList(views: OrganizationView[], csrfToken: string) {
  const rows = views.map(
    (v) => html`<tr>
<td><a href="/admin/organizations/${encodeURIComponent(v.id)}"><strong>${v.name}</strong></a><br><code class="small">${v.id}</code></td>
<td class="small">${v.domains.length ? v.domains.map((d) => html`${d.domain} ${d.verified ? html`<span class="badge ok">verified</span>` : html`<span class="badge warning">unverified</span>`}<br>`) : html`<span class="muted">none</span>`}</td>
<td class="small">${v.connections.join(', ') || html`<span class="muted">none</span>`}</td>
</tr>`,
  );
  return html`<h1>Organizations</h1>
<p class="muted">Each customer is an organization: it owns connections, email domains and a sign-in policy.</p>
${views.length ? html`<section><table id="organizations"><thead><tr><th>Organization</th><th>Domains</th><th>Connections</th></tr></thead><tbody>${rows}</tbody></table></section>` : html`<p>No organizations yet.</p>`}
<section class="card"><h2>New organization</h2>
<form method="post" action="/admin/organizations">${csrfField(csrfToken)}
<label for="org-name">Name</label> <input id="org-name" name="name" required maxlength="200">
<label for="org-id">Id (optional)</label> <input id="org-id" name="id" maxlength="63" pattern="[A-Za-z0-9][A-Za-z0-9_-]*">
<label for="org-domains">Email domains (optional, one per line)</label> <textarea id="org-domains" name="domains" rows="2"></textarea>
<button type="submit" class="primary">Create</button></form></section>`;
}

function organizationDetail(v: OrganizationView, csrfToken: string) {
  const id = encodeURIComponent(v.id);
  const checkbox = (name: keyof OrganizationView['policy'], label: string, help: string) =>
    html`<label><input type="checkbox" name="${name}" ${v.policy[name] ? html`checked` : ''}> ${label}</label><p class="muted small">${help}</p>`;
  const domains = v.domains.map(
    (d) => html`<tr>
<td><strong>${d.domain}</strong></td>
<td>${
      d.verified
        ? html`<span class="badge ok">verified</span><br><span class="small">${d.verifiedAt} (${d.verificationMethod}, by ${d.verifiedBy})</span>`
        : html`<span class="badge warning">unverified</span><br><span class="small">Publish: <code>${d.challenge.name}</code> TXT <code>${d.challenge.value}</code></span>`
    }</td>
<td class="actions">
<form method="post" action="/admin/organizations/${id}/domains/verify" class="inline">${csrfField(csrfToken)}<input type="hidden" name="domain" value="${d.domain}"><input type="hidden" name="method" value="dns"><button type="submit">Check DNS</button></form>
${d.verified ? '' : html`<form method="post" action="/admin/organizations/${id}/domains/verify" class="inline">${csrfField(csrfToken)}<input type="hidden" name="domain" value="${d.domain}"><input type="hidden" name="method" value="admin"><button type="submit">Mark verified</button></form>`}
<form method="post" action="/admin/organizations/${id}/domains/remove" class="inline">${csrfField(csrfToken)}<input type="hidden" name="domain" value="${d.domain}"><button type="submit" class="danger">Remove</button></form>
</td></tr>`,
  );
  const enforcement = {
    active: 'in force',
    'waiting-for-verified-domain': 'on, in force once a domain is verified',
    off: 'off',
  }[v.enforcement.restrictToVerifiedDomains];
  return html`<h1>${v.name}</h1>
<p><code>${v.id}</code> · <a href="/admin/organizations">All organizations</a></p>
<section class="card"><h2>Connections</h2>
${v.connections.length ? html`<ul>${v.connections.map((c) => html`<li><a href="/admin/connections/${encodeURIComponent(c)}">${c}</a></li>`)}</ul>` : html`<p class="muted">None yet. Create a connection with this organization's id.</p>`}</section>
<section class="card"><h2>Email domains</h2>
<p class="muted small">Sign-in by work email finds this organization by its verified domains. To verify one, publish the TXT record shown, then "Check DNS".</p>
${v.domains.length ? html`<table id="domains"><tbody>${domains}</tbody></table>` : html`<p class="muted">No domains.</p>`}
<form method="post" action="/admin/organizations/${id}/domains">${csrfField(csrfToken)}<label for="domain">Add a domain</label> <input id="domain" name="domain" required maxlength="253" placeholder="example.com"> <button type="submit">Add</button></form></section>
<section class="card"><h2>Policy</h2>
<form method="post" action="/admin/organizations/${id}/policy">${csrfField(csrfToken)}
${checkbox('ssoRequired', 'SSO required', 'Apps ask requiresSso(email) and send these users to single sign-on instead of a password form.')}
${checkbox('restrictToVerifiedDomains', `Only verified email domains (${enforcement})`, 'A sign-in whose email is outside the verified domains is refused (SAML_EMAIL_DOMAIN_NOT_VERIFIED).')}
${checkbox('jit', 'Create users at their first sign-in (JIT)', 'Off: only users that already exist may sign in (SAML_JIT_DISABLED).')}
<button type="submit" class="primary">Save policy</button></form></section>
<section class="card"><h2>Delete</h2>
<form method="post" action="/admin/organizations/${id}/delete">${csrfField(csrfToken)}<label for="confirm">Type <code>${v.id}</code> to delete this organization</label> <input id="confirm" name="confirm" required> <button type="submit" class="danger">Delete organization</button></form></section>`;
}
