/**
 * The lifecycle parts of the connection page (issue #12): the status badge and what to do next, the edit
 * forms (name, SP entity ID, metadata by file, URL or paste, pinned metadata signing certificate), and the
 * edit history with who and when.
 */
import type { ConnectionStatus } from '../../../core/connection-lifecycle.ts';
import type { ConnectionView } from '../../../sp/connection-view.ts';
import { html, type SafeHtml } from '../../html.ts';
import { formatDateTime } from './dates.ts';
import { csrfField } from './layout.ts';

const STATUS_LABELS: Record<ConnectionStatus, { text: string; badge: string }> = {
  draft: { text: 'Draft', badge: 'info' },
  testing: { text: 'Ready to test', badge: 'warning' },
  active: { text: 'Active', badge: 'ok' },
};

export function statusBadge(status: ConnectionStatus): SafeHtml {
  const s = STATUS_LABELS[status];
  return html`<span class="badge ${s.badge}" data-status="${status}">${s.text}</span>`;
}

/** What the connection waits for, and the button that moves it on. */
export function statusBanner(v: ConnectionView, csrfToken: string): SafeHtml {
  const id = encodeURIComponent(v.id);
  if (v.status === 'draft') {
    return html`<section class="banner" id="next-step"><p><strong>Draft.</strong> Give the IdP admin the values below, then add the IdP's metadata (file or URL) under <a href="#edit-metadata">Metadata</a>. Sign-ins are refused until a test sign-in passes and the connection is activated.</p></section>`;
  }
  if (v.status === 'testing') {
    const test = v.lastTest;
    const passed = test && test.outcome !== 'failed';
    return html`<section class="banner" id="next-step"><p><strong>Not active yet.</strong> ${
      passed
        ? html`The last test sign-in ${test.outcome === 'passed' ? 'passed' : 'passed with warnings'} (${formatDateTime(test.at)}).`
        : 'Run a test sign-in with an account at the IdP; real sign-ins are refused until the connection is active.'
    }</p>
<div class="actions">
<a class="button${passed ? '' : ' primary'}" href="/admin/connections/${id}/test">Test sign-in</a>
${
  passed
    ? html`<form method="post" action="/admin/connections/${id}/activate" class="inline">${csrfField(csrfToken)}<button type="submit" class="primary" id="activate">Activate</button></form>`
    : html`<form method="post" action="/admin/connections/${id}/activate" class="inline">${csrfField(csrfToken)}<input type="hidden" name="override" value="on"><button type="submit" id="activate-override">Activate without a test (recorded)</button></form>`
}
</div></section>`;
  }
  const a = v.activation;
  return a
    ? html`<p class="muted small" id="activation">Active since ${formatDateTime(a.at)}: ${
        a.via === 'test'
          ? 'a test sign-in passed'
          : a.via === 'override'
            ? 'activated without a test'
            : a.via === 'created'
              ? 'created with metadata through the API or CLI'
              : 'it existed before connection statuses'
      } (by ${a.actor.name}).</p>`
    : html``;
}

const MIB = 1024 * 1024;

export function editForms(v: ConnectionView, csrfToken: string): SafeHtml {
  const id = encodeURIComponent(v.id);
  const checked = (on: boolean) => (on ? html` checked` : '');
  const pinned = v.metadata.pinnedSigningCertificates;
  return html`<section id="edit"><h2>Name and SP entity ID</h2>
<form method="post" action="/admin/connections/${id}/edit">${csrfField(csrfToken)}
<label for="edit-displayName">Name</label>
<input type="text" id="edit-displayName" name="displayName" maxlength="200" value="${v.displayName}">
<label><input type="checkbox" name="allowDuplicateName" value="on">Allow a name another connection already has</label>
<fieldset><legend>SP entity ID the IdP sees</legend>
<label><input type="radio" name="spEntityIdMode" value="connection"${checked(v.spEntityIdMode === 'connection')}>This connection's own: <code class="wrap">${v.spEntityIdChoices.connection}</code></label>
<label><input type="radio" name="spEntityIdMode" value="shared"${checked(v.spEntityIdMode === 'shared')}>The shared one: <code class="wrap">${v.spEntityIdChoices.shared}</code> <span class="muted small">(two connections to one IdP then collide)</span></label>
<label><input type="radio" name="spEntityIdMode" value="custom"${checked(v.spEntityIdMode === 'custom')}>Custom:</label>
<input type="text" name="spEntityId" aria-label="Custom SP entity ID" value="${v.spEntityIdMode === 'custom' ? v.spEntityId : ''}" placeholder="urn:example:sp">
</fieldset>
${v.status === 'active' ? html`<p class="muted small">Changing the SP entity ID of an active connection breaks sign-in until the IdP admin changes it too.</p>` : ''}
<p><button type="submit">Save</button></p>
</form></section>
<section id="edit-metadata"><h2>Metadata</h2>
<p class="muted small">Now: ${v.metadata.importedAt ? html`${v.metadata.source === 'url' ? html`from <code class="wrap">${v.metadata.url}</code>` : 'an uploaded file'}, read ${formatDateTime(v.metadata.importedAt)}` : 'none yet'}.</p>
<form method="post" action="/admin/connections/${id}/metadata" enctype="multipart/form-data">${csrfField(csrfToken)}
<fieldset><legend>Source</legend>
<label><input type="radio" name="source" value="file"${checked(v.metadata.source !== 'url')}>A file (upload or paste)</label>
<label for="replace-metadataFile" class="sub">Upload</label><input type="file" id="replace-metadataFile" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml">
<label for="replace-metadataXml" class="sub">or paste</label><textarea id="replace-metadataXml" name="metadataXml" rows="3"></textarea>
<label><input type="radio" name="source" value="url"${checked(v.metadata.source === 'url')}>A URL, refreshed automatically</label>
<input type="url" name="metadataUrl" aria-label="Metadata URL" value="${v.metadata.url ?? ''}" placeholder="https://idp.example.com/metadata">
</fieldset>
<label for="replace-idpEntityId">IdP entity ID <span class="muted">(to pick one IdP from an aggregate)</span></label>
<input type="text" id="replace-idpEntityId" name="idpEntityId" value="">
<label for="replace-pin">Pin the metadata signing certificate <span class="muted">(PEM; the metadata must then be signed with it)</span></label>
<textarea id="replace-pin" name="metadataSigningCertificate" rows="2"></textarea>
${pinned.length ? html`<p class="small">Pinned now: ${pinned.map((p) => html`<code class="fingerprint">${p.fingerprintSha256}</code> `)}</p><label><input type="checkbox" name="unpin" value="on">Unpin</label>` : ''}
<label for="replace-metadataMaxMiB">Largest metadata document, MiB <span class="muted">(empty: 1 MiB; up to 64 to import one IdP from a federation aggregate)</span></label>
<input type="number" id="replace-metadataMaxMiB" name="metadataMaxMiB" min="1" max="64" step="1" value="${v.policy.metadataMaxBytes === undefined ? '' : String(Math.ceil(v.policy.metadataMaxBytes / MIB))}">
${v.metadata.aggregate ? html`<p class="muted small">Read from an aggregate of ${String(v.metadata.aggregate.entityCount)} entities; only this IdP is kept.</p>` : ''}
<p><button type="submit">Save metadata</button></p>
</form></section>`;
}

export function historySection(v: ConnectionView): SafeHtml {
  if (v.history.length === 0) return html``;
  return html`<section id="history"><h2>History</h2><p class="muted small">The last ${v.history.length} changes, newest first. The audit log keeps everything.</p><table>
<thead><tr><th>When</th><th>Who</th><th>What</th></tr></thead>
<tbody>${[...v.history]
    .reverse()
    .map(
      (c) =>
        html`<tr><td class="small">${formatDateTime(c.at)}</td><td class="small">${c.actor.name} <span class="muted">(${c.actor.kind})</span></td><td class="small">${c.action}${c.fields?.length ? html`: ${c.fields.join(', ')}` : ''}</td></tr>`,
    )}</tbody></table></section>`;
}
