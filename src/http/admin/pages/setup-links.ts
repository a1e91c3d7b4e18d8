/** The admin page's setup links of one organization: create (the URL shown once), list, revoke. */
import type { SetupLinkView } from '../../../org/setup-links/index.ts';
import { html, type SafeHtml } from '../../html.ts';
import { csrfField } from './layout.ts';
import { ago } from './list.ts';

const STATUS_BADGE = { active: 'ok', expired: 'warning', revoked: 'error' } as const;

export function setupLinksPage(
  organizationId: string | undefined,
  links: SetupLinkView[],
  csrfToken: string,
  now: Date,
): SafeHtml {
  const picker = html`<form method="get" action="/admin/setup-links" class="card">
<label for="organization">Organization id</label>
<input type="text" id="organization" name="organization" value="${organizationId ?? ''}" required>
<p><button type="submit">Show its setup links</button></p></form>`;
  if (!organizationId) return html`<h1>Setup links</h1>${picker}`;
  const org = encodeURIComponent(organizationId);
  return html`<h1>Setup links of <code>${organizationId}</code></h1>
<p class="muted">A setup link lets the customer’s IT admin configure their IdP alone, without an account. It is shown once; it works until it expires or you revoke it.</p>
<section id="new-setup-link"><h2>New setup link</h2>
<form method="post" action="/admin/organizations/${org}/setup-links">
${csrfField(csrfToken)}
<label for="expiresInDays">Valid for (days, at most 30)</label>
<input type="number" id="expiresInDays" name="expiresInDays" min="1" max="30" value="7">
<p><button type="submit" class="primary">Create setup link</button></p>
</form></section>
<section id="setup-links"><h2>Links</h2>
${
  links.length
    ? html`<table><thead><tr><th>Link</th><th>Status</th><th>Expires</th><th>Created</th><th>Connection</th><th></th></tr></thead><tbody>${links.map(
        (l) => html`<tr data-link="${l.id}"><td><code>${l.id}</code></td>
<td><span class="badge ${STATUS_BADGE[l.status]}">${l.status}</span>${l.activatedAt ? html` <span class="badge info">activated</span>` : ''}</td>
<td>${ago(l.expiresAt, now)}</td><td>${ago(l.createdAt, now)} <span class="muted small">${l.createdBy}</span></td>
<td>${l.connectionId ? html`<a href="/admin/connections/${encodeURIComponent(l.connectionId)}"><code>${l.connectionId}</code></a>` : html`<span class="muted">none yet</span>`}</td>
<td>${l.status === 'active' ? html`<form method="post" action="/admin/organizations/${org}/setup-links/${l.id}/revoke" class="inline">${csrfField(csrfToken)}<button type="submit" class="danger">Revoke</button></form>` : ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No setup links yet.</p>`
}</section>
${picker}`;
}
