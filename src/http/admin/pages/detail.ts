/**
 * One connection: health and lint, the SP values with per-vendor steps, the IdP facts and certificates, the
 * metadata status, and the forms to edit the attribute mapping and the policy, refresh, test and delete.
 * Everything the IdP supplied (names, URLs, subjects, error texts) goes through the escaping `html` tag.
 */
import { getPreset } from '../../../core/mapping/presets.ts';
import type { MappedField } from '../../../core/types.ts';
import type { ConnectionView } from '../../../sp/connection-view.ts';
import { html, type SafeHtml } from '../../html.ts';
import { formatDate, formatDateTime } from './dates.ts';
import { presetOptions } from './forms.ts';
import { vendorInstructions } from './instructions.ts';
import { csrfField } from './layout.ts';
import { editForms, historySection, statusBadge, statusBanner } from './lifecycle.ts';
import { ago, healthBadge } from './list.ts';

const FIELDS: { field: MappedField; label: string }[] = [
  { field: 'email', label: 'Email' },
  { field: 'firstName', label: 'First name' },
  { field: 'lastName', label: 'Last name' },
  { field: 'displayName', label: 'Display name' },
  { field: 'groups', label: 'Groups' },
  { field: 'externalId', label: 'Stable ID' },
];

export function connectionDetail(v: ConnectionView, csrfToken: string, now: Date): SafeHtml {
  const id = encodeURIComponent(v.id);
  const draft = v.status === 'draft';
  return html`<h1>${v.displayName} ${statusBadge(v.status)} ${draft ? '' : healthBadge(v.health.status)}</h1>
<p class="muted"><code>${v.id}</code>${v.idpEntityId ? html` · <span class="wrap">${v.idpEntityId}</span>` : ''}</p>
${statusBanner(v, csrfToken)}
<div class="actions">
${draft ? '' : html`<a class="button primary" href="/admin/connections/${id}/test">Test sign-in</a>`}
${v.metadata.url ? html`<form method="post" action="/admin/connections/${id}/refresh" class="inline">${csrfField(csrfToken)}<button type="submit">Refresh metadata</button></form>` : ''}
<a class="button" href="#edit">Edit</a>
<a class="button" href="#delete">Delete…</a>
</div>
${draft ? html`${spValuesSection(v)}${editForms(v, csrfToken)}` : html`${healthSection(v, now)}${spValuesSection(v)}${idpSection(v)}${editForms(v, csrfToken)}`}
${mappingForm(v, csrfToken)}
${policyForm(v, csrfToken)}
${historySection(v)}
${deleteForm(v, csrfToken)}`;
}

function healthSection(v: ConnectionView, now: Date): SafeHtml {
  const h = v.health;
  return html`<section id="health"><h2>Health</h2><table>
<tr><th>Last successful sign-in</th><td>${ago(h.lastSignInAt, now)}${h.lastSignInNameId ? html` as <code>${h.lastSignInNameId}</code>` : ''} <span class="muted">(${h.successCount} in total)</span></td></tr>
<tr><th>Last failure</th><td>${h.lastFailure ? html`${ago(h.lastFailure.at, now)}: <code>${h.lastFailure.code}</code> ${h.lastFailure.message}${h.lastFailure.traceId ? html` · <a href="/admin/traces/${h.lastFailure.traceId}" data-last-failure-trace>trace ${h.lastFailure.traceId}</a>` : ''}<br><span class="muted">${h.lastFailure.hint}</span>` : html`<span class="muted">none</span>`}</td></tr>
<tr><th>Traces</th><td><a href="/admin/traces?connectionId=${encodeURIComponent(v.id)}">All attempts</a> · <a href="/admin/traces?connectionId=${encodeURIComponent(v.id)}&amp;outcome=failed">Failed attempts</a></td></tr>
<tr><th>Certificates valid until</th><td>${h.certificatesValidUntil ? formatDate(h.certificatesValidUntil) : html`<strong>no valid certificate</strong>`}</td></tr>
<tr><th>Metadata</th><td>${v.metadata.source === 'url' ? 'fetched' : 'uploaded'} ${ago(v.metadata.importedAt, now)}${v.metadata.nextRefreshAt ? html`, next refresh ${ago(v.metadata.nextRefreshAt, now)}` : ''}
${v.metadata.lastError ? html`<br><span class="badge warning">refresh failing</span> ${ago(v.metadata.lastError.at, now)}: <code>${v.metadata.lastError.code}</code> ${v.metadata.lastError.message}<br><span class="muted">${v.metadata.lastError.hint}</span>` : ''}</td></tr>
</table>
${
  v.lint.length
    ? html`<h2>Findings</h2><ul class="lint">${v.lint.map(
        (l) =>
          html`<li data-lint="${l.id}"><span class="badge ${l.severity}">${l.severity}</span> ${l.message}${l.hint ? html`<br><span class="muted small">${l.hint}</span>` : ''}</li>`,
      )}</ul>`
    : ''
}
</section>`;
}

function spValuesSection(v: ConnectionView): SafeHtml {
  return html`<section id="sp-values"><h2>Give these values to the IdP admin</h2><table class="kv">
<tr><th>Entity ID (Audience)</th><td><code class="wrap" id="sp-entity-id">${v.spEntityId}</code>${v.spEntityIdMode === 'shared' ? html` <span class="badge info">shared</span>` : ''}</td></tr>
<tr><th>ACS URL (HTTP-POST)</th><td><code class="wrap" id="acs-url">${v.acsUrl}</code></td></tr>
<tr><th>Single logout URL</th><td><code class="wrap">${v.spSloUrl}</code></td></tr>
<tr><th>SP metadata</th><td><a href="${v.metadataUrl}"><code class="wrap">${v.metadataUrl}</code></a> <a class="button small" href="${v.metadataUrl}" download="${v.id}-sp-metadata.xml">Download</a></td></tr>
<tr><th>SP signing certificate</th><td><a class="button small" href="${v.spCertificateUrl}" download="${v.id}-sp-signing.pem">Download (PEM)</a><details><summary>Show PEM</summary><pre>${v.spCertificatePem}</pre></details></td></tr>
</table>
<h2>Steps at the IdP</h2>
${vendorInstructions(v.preset, { entityId: v.spEntityId, acsUrl: v.acsUrl, sloUrl: v.spSloUrl, metadataUrl: v.metadataUrl })}
</section>`;
}

function idpSection(v: ConnectionView): SafeHtml {
  return html`<section id="idp"><h2>Identity provider</h2><table class="kv">
<tr><th>Entity ID</th><td><code class="wrap">${v.idpEntityId}</code></td></tr>
<tr><th>SSO</th><td>${v.ssoEndpoints.map((e) => html`<code>${e.binding}</code> <span class="wrap">${e.location}</span><br>`)}</td></tr>
<tr><th>SLO</th><td>${v.sloEndpoints.length ? v.sloEndpoints.map((e) => html`<code>${e.binding}</code> <span class="wrap">${e.location}</span><br>`) : html`<span class="muted">none</span>`}</td></tr>
<tr><th>NameID formats</th><td>${v.nameIdFormats.length ? v.nameIdFormats.map((f) => html`<code class="wrap">${f}</code><br>`) : html`<span class="muted">not listed</span>`}</td></tr>
<tr><th>Wants signed requests</th><td>${v.wantAuthnRequestsSigned ? 'yes' : 'no'}</td></tr>
<tr><th>Metadata source</th><td>${v.metadata.url ? html`<code class="wrap">${v.metadata.url}</code>` : 'uploaded file'}${v.metadata.validUntil ? html`, valid until ${formatDateTime(v.metadata.validUntil)}` : ''}${v.metadata.cacheDuration ? html`, cacheDuration ${v.metadata.cacheDuration}` : ''}${v.metadata.signatureVerifiedBy ? html`<br>signature verified with pinned certificate <code class="wrap small">${v.metadata.signatureVerifiedBy}</code>` : ''}</td></tr>
</table>
<h2>Trusted signing certificates</h2><table class="certificates">
<thead><tr><th>Certificate</th><th>Valid</th><th>State</th><th>Seen in metadata</th></tr></thead>
<tbody>${v.signingCertificates.map(
    (
      c,
    ) => html`<tr><td><span class="small">${c.subject}</span><br><code class="fingerprint" title="SHA-256 fingerprint">${c.fingerprintSha256}</code></td>
<td class="small nowrap">${formatDate(c.notBefore)} –<br>${formatDate(c.notAfter)}</td>
<td><span class="badge ${c.state === 'active' ? 'ok' : 'warning'}">${c.state}</span>${c.retired ? html` <span class="badge info">retired</span>` : ''}</td>
<td class="small">${c.firstSeenAt ? html`first ${formatDateTime(c.firstSeenAt)}<br>last ${formatDateTime(c.lastSeenAt)}` : ''}</td></tr>`,
  )}</tbody></table>
</section>`;
}

function deleteForm(v: ConnectionView, csrfToken: string): SafeHtml {
  return html`<section id="delete" class="danger-zone"><h2>Delete this connection</h2>
<p>Users of <strong>${v.displayName}</strong> can no longer sign in, and the IdP's configuration for it becomes useless. This cannot be undone.</p>
<form method="post" action="/admin/connections/${encodeURIComponent(v.id)}/delete">${csrfField(csrfToken)}
<label for="confirm">Type the connection id <code>${v.id}</code> to confirm</label>
<input type="text" id="confirm" name="confirm" required autocomplete="off" spellcheck="false" pattern="${v.id}">
<p><button type="submit" class="danger">Delete ${v.id}</button></p>
</form></section>`;
}

function mappingForm(v: ConnectionView, csrfToken: string): SafeHtml {
  const preset = getPreset(v.preset);
  return html`<section id="mapping"><h2>Attribute mapping</h2>
<p class="muted small">Attribute names to read each field from, in order, comma-separated. Empty fields use the preset (shown greyed).</p>
<form method="post" action="/admin/connections/${encodeURIComponent(v.id)}/mapping">
${csrfField(csrfToken)}
<label for="preset">Preset</label><select id="preset" name="preset">${presetOptions(v.preset)}</select>
${FIELDS.map(
  ({ field, label }) => html`<label for="map-${field}">${label}</label>
<input type="text" id="map-${field}" name="${field}" value="${(v.attributeMapping[field] ?? []).join(', ')}" placeholder="${(preset[field] ?? []).join(', ')}">`,
)}
<p><button type="submit">Save mapping</button></p>
</form></section>`;
}

/** The signature requirements, as the policy form offers them (the default first). */
const SIGNATURE_REQUIREMENTS = [
  { value: 'response-or-assertion', label: 'Assertion or whole Response signed (default)' },
  { value: 'assertion', label: 'Assertion signed' },
  { value: 'response-and-assertion', label: 'Response and Assertion both signed' },
] as const;

function policyForm(v: ConnectionView, csrfToken: string): SafeHtml {
  const p = v.policy;
  const checked = (on: boolean) => (on ? html` checked` : '');
  return html`<section id="policy"><h2>Security policy</h2>
<p class="muted small">Accepted signature algorithms: ${v.acceptedSignatureAlgorithms.map((a) => html`<code>${a.split('#')[1]}</code> `)}</p>
<form method="post" action="/admin/connections/${encodeURIComponent(v.id)}/policy">
${csrfField(csrfToken)}
<label for="wantSigned">Required signature</label>
<select id="wantSigned" name="wantSigned">
${SIGNATURE_REQUIREMENTS.map(({ value, label }) => html`<option value="${value}"${value === p.wantSigned ? html` selected` : ''}>${label}</option>`)}
</select>
<label for="clockSkewSeconds">Clock skew tolerance (seconds)</label>
<input type="number" id="clockSkewSeconds" name="clockSkewSeconds" min="0" max="3600" value="${p.clockSkewSeconds}">
<label><input type="checkbox" name="allowIdpInitiated" value="on"${checked(p.allowIdpInitiated)}>Allow IdP-initiated sign-in</label>
<label><input type="checkbox" name="allowSha1" value="on"${checked(p.allowSha1)}>Accept SHA-1 signatures (old ADFS trusts only)</label>
<label><input type="checkbox" name="requireEncryptedAssertion" value="on"${checked(p.requireEncryptedAssertion)}>Require encrypted assertions</label>
<label><input type="checkbox" name="allowSoapLogoutWithoutDestination" value="on"${checked(p.allowSoapLogoutWithoutDestination ?? false)}>Accept back-channel (SOAP) logout requests without Destination (only for an IdP that sends none)</label>
<p><button type="submit">Save policy</button></p>
</form></section>`;
}
