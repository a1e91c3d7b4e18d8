/** The connection list: each connection with its health at a glance. */
import type { ConnectionView, HealthStatus } from '../../../sp/connection-view.ts';
import { html, type SafeHtml } from '../../html.ts';
import { formatDate } from './dates.ts';
import { statusBadge } from './lifecycle.ts';

export const HEALTH_LABELS: Record<HealthStatus, string> = {
  ok: 'Healthy',
  warning: 'Needs attention',
  error: 'Broken',
};

export function healthBadge(status: HealthStatus): SafeHtml {
  return html`<span class="badge ${status}" data-health="${status}">${HEALTH_LABELS[status]}</span>`;
}

/** "3 h ago" style age for the admin's eyes (the exact time is in the title). */
export function ago(iso: string | null | undefined, now: Date): SafeHtml {
  if (!iso) return html`<span class="muted">never</span>`;
  const s = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  const abs = Math.abs(s);
  const text =
    abs < 90
      ? `${abs} s`
      : abs < 5400
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} days`;
  return html`<time datetime="${iso}" title="${iso}">${s >= 0 ? `${text} ago` : `in ${text}`}</time>`;
}

/** The list page body. */
export function connectionList(views: ConnectionView[], now: Date): SafeHtml {
  if (views.length === 0) {
    return html`<h1>Connections</h1><section><p>No connections yet.</p>
<p><a class="button primary" href="/admin/connections/new">Add the first connection</a></p></section>`;
  }
  const rows = views.map((v) => {
    const worst = v.lint.find((l) => l.severity === 'error') ?? v.lint.find((l) => l.severity === 'warning');
    const failure = v.health.lastFailure;
    return html`<tr data-connection="${v.id}">
<td><a href="/admin/connections/${encodeURIComponent(v.id)}"><strong>${v.displayName}</strong></a><br><code class="small">${v.id}</code> <span class="muted small">${v.preset}</span></td>
<td class="small wrap">${v.idpEntityId || html`<span class="muted">no metadata yet</span>`}</td>
<td>${statusBadge(v.status)} ${v.status === 'draft' ? '' : healthBadge(v.health.status)}${worst ? html`<br><span class="small">${worst.message}</span>` : ''}</td>
<td class="small">
  Certificates valid until: ${v.health.certificatesValidUntil ? formatDate(v.health.certificatesValidUntil) : html`<strong>none valid</strong>`}<br>
  Metadata (${v.metadata.source}): ${ago(v.metadata.importedAt, now)}${v.metadata.lastError ? html` · <strong>refresh failing</strong> (${v.metadata.lastError.code})` : ''}<br>
  Last sign-in: ${ago(v.health.lastSignInAt, now)}
  ${failure ? html`<br>Last failure: ${ago(failure.at, now)} <code>${failure.code}</code>${failure.traceId ? html` <a href="/admin/traces/${failure.traceId}" data-last-failure-trace>trace ${failure.traceId}</a>` : ''} <span class="muted">${failure.hint}</span>` : ''}
</td>
<td>${v.status === 'draft' ? '' : html`<a class="button" href="/admin/connections/${encodeURIComponent(v.id)}/test">Test sign-in</a>`}</td>
</tr>`;
  });
  return html`<h1>Connections</h1>
<section><table class="connections">
<thead><tr><th>Connection</th><th>IdP entity ID</th><th>Health</th><th>Details</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table></section>
<p><a class="button primary" href="/admin/connections/new">New connection</a></p>`;
}
