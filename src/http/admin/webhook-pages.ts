/**
 * The admin page's webhook section: /admin/webhooks lists the endpoints and recent deliveries, registers an
 * endpoint (its signing secret is shown once, on the answer page, and stored in no session), removes one,
 * and sends a delivery again. Mounted by page-routes.ts with its session and CSRF handling.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import { EVENT_TYPES, type WebhookService } from '../../events/index.ts';
import { html } from '../html.ts';
import type { AdminSession, AdminSessions } from './auth.ts';
import { adminPage, csrfField, sendAdminPage } from './pages/layout.ts';
import { ago } from './pages/list.ts';

type Handler = (req: Request, res: Response, session: AdminSession) => Promise<void>;

export interface WebhookPageDeps {
  webhooks: WebhookService;
  sessions: AdminSessions;
  signedIn: (handler: Handler) => RequestHandler;
  form: RequestHandler[];
  takeFlash: (session: AdminSession) => Promise<{ kind: 'ok' | 'error'; text: string } | undefined>;
  now: () => Date;
}

export function mountWebhookPages(router: Router, deps: WebhookPageDeps): void {
  const { webhooks, sessions, signedIn, form, now } = deps;

  router.get(
    '/webhooks',
    signedIn(async (_req, res, session) => {
      const [endpoints, deliveries] = await Promise.all([
        webhooks.list(),
        webhooks.deliveries({ limit: 50 }),
      ]);
      const rows = endpoints.map(
        (
          e,
        ) => html`<tr data-endpoint="${e.id}"><td><code>${e.url}</code><br><span class="muted small">${e.id}</span> ${e.description ?? ''}</td>
<td class="small">${e.eventTypes.length ? e.eventTypes.join(', ') : 'every event'}</td><td>${e.enabled ? 'on' : 'off'}</td>
<td><form method="post" action="/admin/webhooks/${encodeURIComponent(e.id)}/delete" class="inline">${csrfField(session.csrfToken)}<button type="submit">Remove</button></form></td></tr>`,
      );
      const log = deliveries.map(
        (
          d,
        ) => html`<tr data-delivery="${d.id}"><td class="small"><code>${d.eventType}</code><br>${d.connectionId ?? ''}</td>
<td class="small">${d.endpointId}</td><td><span class="badge ${d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'error' : 'warning'}">${d.status}</span></td>
<td class="small">${String(d.attempts)} · ${d.lastStatusCode !== undefined ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '')} · ${ago(d.lastAttemptAt, now())}</td>
<td><form method="post" action="/admin/webhooks/deliveries/${encodeURIComponent(d.id)}/redeliver" class="inline">${csrfField(session.csrfToken)}<button type="submit">Send again</button></form></td></tr>`,
      );
      const options = EVENT_TYPES.map(
        (t) =>
          html`<label class="small"><input type="checkbox" name="eventTypes" value="${t}"> ${t}</label> `,
      );
      const body = html`<h1>Webhooks</h1>
<section><h2>Endpoints</h2>${
        endpoints.length
          ? html`<table><thead><tr><th>URL</th><th>Events</th><th>Enabled</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
          : html`<p>No endpoint yet.</p>`
      }</section>
<section><h2>Add an endpoint</h2>
<form method="post" action="/admin/webhooks">${csrfField(session.csrfToken)}
<p><label for="url">URL</label><br><input id="url" name="url" type="url" required size="60" placeholder="https://hooks.example.com/saml"></p>
<p><label for="description">Description</label><br><input id="description" name="description" size="60"></p>
<fieldset><legend>Events (none ticked: every event)</legend>${options}</fieldset>
<p><button type="submit" class="primary">Add endpoint</button></p></form></section>
<section><h2>Recent deliveries</h2>${
        deliveries.length
          ? html`<table><thead><tr><th>Event</th><th>Endpoint</th><th>Status</th><th>Attempts</th><th></th></tr></thead><tbody>${log}</tbody></table>`
          : html`<p>Nothing delivered yet.</p>`
      }</section>`;
      sendAdminPage(
        res,
        200,
        adminPage('Webhooks', body, { csrfToken: session.csrfToken, flash: await deps.takeFlash(session) }),
      );
    }),
  );

  router.post(
    '/webhooks',
    ...form,
    signedIn(async (req, res, session) => {
      const fields = req.body as Record<string, unknown>;
      const types = fields.eventTypes;
      const { endpoint, secret } = await webhooks.create({
        url: String(fields.url ?? ''),
        ...(typeof fields.description === 'string' && fields.description.trim()
          ? { description: fields.description }
          : {}),
        eventTypes: Array.isArray(types) ? types.map(String) : typeof types === 'string' ? [types] : [],
      });
      // Shown on this answer only: never put in the session, never shown again.
      const body = html`<h1>Endpoint added</h1>
<section><p><code>${endpoint.url}</code> (<code>${endpoint.id}</code>) receives events signed as the Standard Webhooks specification says.</p>
<p>Its signing secret, shown <strong>this once</strong>; give it to the receiver so it can verify every delivery:</p>
<pre id="webhook-secret">${secret}</pre></section>
<p><a class="button" href="/admin/webhooks">Back to the webhooks</a></p>`;
      sendAdminPage(res, 201, adminPage('Endpoint added', body, { csrfToken: session.csrfToken }));
    }),
  );

  router.post(
    '/webhooks/:id/delete',
    ...form,
    signedIn(async (req, res, session) => {
      await webhooks.remove(req.params.id as string);
      session.flash = { kind: 'ok', text: 'Endpoint removed.' };
      await sessions.save(session);
      res.redirect(303, '/admin/webhooks');
    }),
  );

  router.post(
    '/webhooks/deliveries/:messageId/redeliver',
    ...form,
    signedIn(async (req, res, session) => {
      await webhooks.redeliver(req.params.messageId as string);
      session.flash = { kind: 'ok', text: 'The delivery will be sent again within seconds.' };
      await sessions.save(session);
      res.redirect(303, '/admin/webhooks');
    }),
  );
}
