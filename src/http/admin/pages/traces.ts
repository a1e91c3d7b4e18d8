/**
 * The trace views of the admin page (issue #13): one trace with its whole checklist, and the traces of a
 * connection. What an unverified message claims (issuer, NameID, attribute names, error text) is shown only
 * here, escaped like everything else, and marked "unverified".
 */
import type { TraceView } from '../../../trace/index.ts';
import { html, type SafeHtml } from '../../html.ts';
import { csrfField } from './layout.ts';
import { ago } from './list.ts';

const UNVERIFIED = html` <span class="badge warning" title="Read from a message whose signature never verified, or that answered no sign-in this browser started: the sender's claim, not the IdP's word.">unverified</span>`;

function outcomeBadge(t: Pick<TraceView, 'outcome' | 'verified'>): SafeHtml {
  return html`<span class="badge ${t.outcome === 'succeeded' ? 'ok' : 'error'}" data-outcome="${t.outcome}">${t.outcome}</span>${t.verified ? '' : UNVERIFIED}`;
}

/** One trace. `rawShown`: the captured raw message was opened (`?raw=1`). */
export function traceDetail(t: TraceView, now: Date): SafeHtml {
  const claim = t.verified ? '' : UNVERIFIED;
  const mark = (s: string) => (s === 'pass' ? 'ok' : s === 'fail' ? 'error' : 'info');
  return html`<h1>Trace <code data-trace-id>${t.traceId}</code> ${outcomeBadge(t)}</h1>
${
  t.verified
    ? ''
    : html`<p class="error-box" role="note" data-unverified>This message's signature never verified, or it answered no sign-in this browser started: anybody can send such a message. It changed no connection health. What it claims (issuer, NameID, attribute names, the texts of the error) is shown below for diagnosis only.</p>`
}
<section><table>
<tr><th>Kind</th><td>${t.kind === 'acs' ? 'Sign-in (ACS)' : 'Logout (SLO)'}</td></tr>
<tr><th>Time</th><td>${ago(t.at, now)} <span class="muted small">${t.at}</span></td></tr>
<tr><th>Connection</th><td><a href="/admin/traces?connectionId=${encodeURIComponent(t.connectionId)}">${t.connectionName ?? t.connectionId}</a> <code class="small">${t.connectionId}</code>${t.organizationId ? html`<br><span class="muted small">organization <code>${t.organizationId}</code></span>` : ''}</td></tr>
${t.errorCode ? html`<tr><th>Error</th><td><code data-error-code>${t.errorCode}</code>${t.message ? html` ${t.message}${claim}` : ''}</td></tr>` : ''}
${t.failedCheck ? html`<tr><th>Failed check</th><td><code data-failed-check>${t.failedCheck}</code></td></tr>` : ''}
${t.hint ? html`<tr><th>Hint</th><td>${t.hint}${claim}</td></tr>` : ''}
<tr><th>IdP issuer</th><td>${t.idpIssuer ? html`<code>${t.idpIssuer}</code>${claim}` : html`<span class="muted">none</span>`}</td></tr>
<tr><th>NameID</th><td>${t.nameId ? html`<code>${t.nameId}</code>${claim}` : html`<span class="muted">none</span>`}</td></tr>
<tr><th>Attributes</th><td>${t.attributeNames.length ? html`${t.attributeNames.map((n) => html`<code>${n}</code> `)}${claim}<br><span class="muted small">names only: values are never kept</span>` : html`<span class="muted">none</span>`}</td></tr>
<tr><th>Client</th><td>${t.clientIp ?? ''}<br><span class="muted small">${t.userAgent ?? ''}</span></td></tr>
</table></section>
<section><h2>Checklist</h2>${
    t.checks.length
      ? html`<table class="checks">${t.checks.map(
          (c) =>
            html`<tr data-check="${c.check}" data-status="${c.status}"><td><span class="badge ${mark(c.status)}">${c.status}</span></td><td><code>${c.check}</code>${c.detail ? html`: <span class="small">${c.detail}</span>` : ''}${'title' in c && c.title ? html`<br><span class="muted small">${c.title}</span>` : ''}</td></tr>`,
        )}</table>`
      : html`<p class="muted">The message never reached the checklist (nothing to read, or no such connection).</p>`
  }</section>
${
  t.rawMessage.captured
    ? html`<section><h2>Raw message</h2>${
        t.rawMessage.xml !== undefined
          ? html`<pre>${t.rawMessage.xml}</pre>`
          : t.rawMessage.error
            ? html`<p class="error-box">${t.rawMessage.error}</p>`
            : html`<p>Captured and sealed (AES-256-GCM, key <code>${t.rawMessage.keyId}</code>). <a class="button" href="?raw=1">Show it</a></p>`
      }</section>`
    : ''
}`;
}

export interface TraceListOptions {
  connection?: { id: string; displayName: string } | undefined;
  outcome?: 'failed' | 'succeeded' | undefined;
  captureUntil?: Date | undefined;
  csrfToken: string;
  now: Date;
}

/** The traces of one connection (or of all), newest first, with the raw-capture switch. */
export function traceList(traces: TraceView[], o: TraceListOptions): SafeHtml {
  const base = o.connection
    ? `/admin/traces?connectionId=${encodeURIComponent(o.connection.id)}`
    : '/admin/traces';
  const join = base.includes('?') ? '&' : '?';
  const rows = traces.map(
    (t) => html`<tr data-trace="${t.traceId}">
<td><a href="/admin/traces/${t.traceId}"><code>${t.traceId}</code></a></td>
<td>${ago(t.at, o.now)}</td>
<td>${t.kind}</td>
<td>${outcomeBadge(t)}</td>
<td>${t.errorCode ? html`<code>${t.errorCode}</code>` : ''}${t.failedCheck ? html`<br><span class="muted small">${t.failedCheck}</span>` : ''}</td>
<td class="small">${o.connection ? '' : t.connectionId}</td>
</tr>`,
  );
  return html`<h1>Traces${o.connection ? html` of ${o.connection.displayName}` : ''}</h1>
<form method="get" action="/admin/traces" class="actions"><label for="q" class="inline">Find a trace</label>
<input type="text" id="q" name="q" placeholder="K7QM4-XD2PA"><button type="submit">Open</button></form>
<p class="actions"><a class="button" href="${base}">All</a> <a class="button" href="${base}${join}outcome=failed">Failed only</a></p>
${o.connection ? captureForm(o.connection.id, o.captureUntil, o.csrfToken, o.now) : ''}
<section>${
    traces.length
      ? html`<table><thead><tr><th>Trace</th><th>When</th><th>Kind</th><th>Outcome</th><th>Error</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : html`<p class="muted">No ${o.outcome === 'failed' ? 'failed ' : ''}attempts recorded.</p>`
  }</section>`;
}

function captureForm(connectionId: string, until: Date | undefined, csrfToken: string, now: Date): SafeHtml {
  const action = `/admin/traces/capture/${encodeURIComponent(connectionId)}`;
  return html`<section id="capture"><h2>Raw message capture</h2>
${
  until
    ? html`<p>On: raw SAML responses are kept, sealed, until ${ago(until.toISOString(), now)}.</p>
<form method="post" action="${action}/stop">${csrfField(csrfToken)}<button type="submit">Stop capturing</button></form>`
    : html`<p class="muted small">Off. Raw responses hold personal data: switch capture on only while you debug, for at most 24 hours. They are sealed with AES-256-GCM and expire with their trace.</p>
<form method="post" action="${action}">${csrfField(csrfToken)}<label for="minutes">Minutes</label><input type="number" id="minutes" name="minutes" min="1" max="1440" value="60"><p><button type="submit">Capture raw messages</button></p></form>`
}</section>`;
}
