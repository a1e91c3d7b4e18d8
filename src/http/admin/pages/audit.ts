/** The admin page views of the admin tokens and the audit log. */
import type { AdminIdentity } from '../../../audit/index.ts';
import type { AuditEntry } from '../../../store/audit.ts';
import { html, type SafeHtml } from '../../html.ts';
import { csrfField } from './layout.ts';
import { ago } from './list.ts';

/** The token list, the create form and, right after a creation, the new token (shown this once). */
export function adminTokensPage(
  tokens: AdminIdentity[],
  csrfToken: string,
  now: Date,
  created?: { name: string; token: string },
): SafeHtml {
  const shown = created
    ? html`<section class="card" role="status" data-new-token><h2>Token "${created.name}" created</h2>
<p>Copy it now: it is shown this once and cannot be read again.</p><pre>${created.token}</pre></section>`
    : '';
  const rows = tokens.map(
    (
      t,
    ) => html`<tr data-token="${t.id}"><td>${t.name}</td><td><code>${t.id}</code></td><td>${t.createdBy}</td>
<td>${ago(t.createdAt, now)}</td><td>${ago(t.lastUsedAt, now)}</td>
<td>${t.revokedAt ? html`<span class="badge error">revoked ${ago(t.revokedAt, now)}</span>` : html`<form method="post" action="/admin/admin-tokens/${encodeURIComponent(t.id)}/revoke" class="inline">${csrfField(csrfToken)}<button type="submit">Revoke</button></form>`}</td></tr>`,
  );
  return html`<h1>Admin tokens</h1>${shown}
<section><p>Each admin has a named token; the audit log records actions under that name. ADMIN_TOKEN stays valid as
the identity "bootstrap".</p>
${tokens.length ? html`<table><thead><tr><th>Name</th><th>Id</th><th>Created by</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="muted">No named tokens yet.</p>`}</section>
<section><h2>New token</h2><form method="post" action="/admin/admin-tokens">${csrfField(csrfToken)}
<label for="name">Name (who will use it)</label> <input id="name" name="name" required maxlength="64">
<button type="submit" class="primary">Create token</button></form></section>`;
}

/** The newest audit entries, newest first, with before/after as JSON. */
export function auditLogPage(entries: AuditEntry[], now: Date): SafeHtml {
  const rows = entries.map(
    (
      e,
    ) => html`<tr data-audit="${e.action}"><td>${ago(e.at.toISOString(), now)}</td><td>${e.actor.name} <span class="muted small">(${e.actor.kind})</span></td>
<td><code>${e.action}</code></td><td>${e.target.type} <code>${e.target.id}</code></td>
<td>${e.before === undefined && e.after === undefined ? '' : html`<details><summary>before / after</summary><pre>${JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre></details>`}</td></tr>`,
  );
  return html`<h1>Audit log</h1>
<section><p>Every admin action (API, page, CLI), append-only. Export it as JSON lines with
<code>GET /admin/api/audit?format=jsonl</code> or <code>saml-sp audit export</code>.</p>
${entries.length ? html`<table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="muted">Nothing recorded yet.</p>`}</section>`;
}
