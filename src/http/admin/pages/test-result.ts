/**
 * The result of a test sign-in: the verdict (passed, passed with warnings, failed), the whole checklist as
 * `saml-sp inspect` prints it, a response that reached another connection, the attributes sent but not mapped
 * with one-click mapping buttons, and the mapped user. Nothing here signed anyone in.
 */
import type { MappedField } from '../../../core/types.ts';
import type { ConnectionView } from '../../../sp/connection-view.ts';
import type { TestRun } from '../../../sp/test-sign-in.ts';
import { html, type SafeHtml } from '../../html.ts';
import { formatDateTime } from './dates.ts';
import { csrfField } from './layout.ts';

const OUTCOME_LABEL = {
  passed: { badge: 'ok', text: 'passed' },
  'passed-with-warnings': { badge: 'warning', text: 'passed with warnings' },
  failed: { badge: 'error', text: 'failed' },
} as const;

export const FIELD_LABELS: Record<MappedField, string> = {
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  displayName: 'Display name',
  groups: 'Groups',
  externalId: 'Stable ID',
};

export function testResultPage(v: ConnectionView, run: TestRun, csrfToken: string): SafeHtml {
  const id = encodeURIComponent(v.id);
  const result = run.result;
  const activatable = v.status === 'testing' && result && result.outcome !== 'failed';
  const actions = html`<p class="actions"><a class="button primary" href="/admin/connections/${id}/test">Run the test again</a>
${activatable ? html`<form method="post" action="/admin/connections/${id}/activate" class="inline">${csrfField(csrfToken)}<button type="submit" class="primary" id="activate">Activate the connection</button></form>` : ''}
<a class="button" href="/admin/connections/${id}">Back to the connection</a></p>`;
  if (!result) {
    return html`<h1>Test sign-in: ${v.displayName}</h1>
<section><p data-result="waiting">No response has arrived for this test yet (started ${formatDateTime(run.startedAt)}). Finish signing in at the IdP, or run it again.</p></section>
${actions}`;
  }
  const label = OUTCOME_LABEL[result.outcome];
  const p = result.profile;
  const row = (field: Exclude<MappedField, 'groups'>) =>
    html`<tr><th>${FIELD_LABELS[field]}</th><td>${p?.[field] === undefined ? html`<span class="muted">(not mapped)</span>` : html`<code>${p[field]}</code>`}</td></tr>`;
  return html`<h1>Test sign-in: ${v.displayName} <span class="badge ${label.badge}" data-result="${result.outcome}">${label.text}</span></h1>
<p class="muted">Response received ${formatDateTime(result.at)}. This was a test: nobody was signed in, no user was created, and it does not count as a sign-in.</p>
${result.error ? html`<section class="error-box" id="test-failure" role="alert"><p><code>${result.error.code}</code> ${result.error.message}</p><p>${result.error.hint}</p></section>` : ''}
${
  result.wrongConnection
    ? html`<section id="wrong-connection"><h2>The response went to another connection</h2><table>
<tr><th>Arrived at</th><td><code>${result.wrongConnection.arrivedAt}</code>: <code class="wrap">${result.wrongConnection.arrivedAcsUrl}</code></td></tr>
<tr><th>Expected ACS URL</th><td><code class="wrap">${result.wrongConnection.expectedAcsUrl}</code></td></tr>
<tr><th>Expected Entity ID</th><td><code class="wrap">${result.wrongConnection.expectedEntityId}</code>${result.wrongConnection.sharedEntityId ? html` <span class="badge warning">shared with ${result.wrongConnection.arrivedAt}</span>` : ''}</td></tr>
</table></section>`
    : ''
}
${result.mapping && (result.mapping.missing.length || result.mapping.unmapped.length) ? mappingSection(v, run, csrfToken) : ''}
${
  p
    ? html`<section id="mapped-user"><h2>Mapped user</h2><p class="muted small">Signed as <code id="name-id">${result.assertion?.nameId.value}</code>${result.assertion?.nameId.format ? html` (${result.assertion.nameId.format})` : ''} by <code>${result.assertion?.issuer}</code>.</p><table>
${row('email')}${row('firstName')}${row('lastName')}${row('displayName')}
<tr><th>Groups</th><td>${p.groups.length ? p.groups.map((g) => html`<code>${g}</code> `) : html`<span class="muted">(none)</span>`}</td></tr>
${row('externalId')}
</table>
${p.warnings.length ? html`<ul>${p.warnings.map((w) => html`<li><span class="badge info">mapping</span> ${w}</li>`)}</ul>` : ''}
</section>`
    : ''
}
<section id="checklist"><h2>Checks</h2><table class="checks">
<thead><tr><th>Result</th><th>Check</th></tr></thead>
<tbody>${result.checks.map(
    (c) =>
      html`<tr data-check="${c.check}" data-status="${c.status}"><td><span class="badge ${c.status === 'pass' ? 'ok' : c.status === 'fail' ? 'error' : 'info'}">${c.status === 'pass' ? 'ok' : c.status}</span></td><td><code>${c.check}</code> ${c.title}${c.detail ? html`<br><span class="small muted">${c.detail}</span>` : ''}</td></tr>`,
  )}</tbody></table></section>
${
  result.assertion
    ? html`<section id="attributes"><h2>Received attributes</h2>${
        Object.keys(result.assertion.attributes).length
          ? html`<table><thead><tr><th>Name</th><th>Values</th></tr></thead><tbody>${Object.entries(
              result.assertion.attributes,
            ).map(
              ([name, values]) =>
                html`<tr><td><code class="wrap">${name}</code></td><td>${values.map((value) => html`<code class="wrap">${value}</code><br>`)}</td></tr>`,
            )}</tbody></table>`
          : html`<p class="muted">The assertion carried no attributes.</p>`
      }
<table><tr><th>Signed</th><td>${result.assertion.signature.signedElements.join(' and ')} with <code class="wrap">${result.assertion.signature.algorithm}</code></td></tr>
<tr><th>Certificate</th><td><code class="wrap small">${result.assertion.signature.certificateFingerprint}</code></td></tr>
<tr><th>Encrypted</th><td>${result.assertion.wasEncrypted ? 'yes' : 'no'}</td></tr></table></section>`
    : ''
}
${actions}`;
}

/** Fields the preset expects but left empty, and attributes no field reads, each with a one-click mapping. */
function mappingSection(v: ConnectionView, run: TestRun, csrfToken: string): SafeHtml {
  const mapping = run.result!.mapping!;
  const action = `/admin/connections/${encodeURIComponent(v.id)}/mapping/add`;
  const mapButton = (field: MappedField, attribute: string) =>
    html`<form method="post" action="${action}" class="inline">${csrfField(csrfToken)}<input type="hidden" name="field" value="${field}"><input type="hidden" name="attribute" value="${attribute}"><input type="hidden" name="run" value="${run.run}"><button type="submit" data-map="${field}:${attribute}">Map <code>${attribute}</code> to ${FIELD_LABELS[field]}</button></form>`;
  return html`<section id="mapping-warnings"><h2>Attribute mapping</h2>
${
  mapping.missing.length
    ? html`<ul>${mapping.missing.map(
        (m) =>
          html`<li data-missing="${m.field}"><span class="badge warning">warning</span> ${FIELD_LABELS[m.field]} is not mapped although the IdP sent attributes no field reads.${m.candidates.length ? html`<br>${mapButton(m.field, m.candidates[0]!)}` : ''}</li>`,
      )}</ul>`
    : ''
}
${
  mapping.unmapped.length
    ? html`<h3>Sent but not mapped</h3><table><tbody>${mapping.unmapped.map(
        (u) =>
          html`<tr data-unmapped="${u.name}"><td><code class="wrap">${u.name}</code><br><span class="small muted">${u.values.slice(0, 3).join(', ')}${u.values.length > 3 ? ', …' : ''}</span></td><td>${u.suggestedField ? mapButton(u.suggestedField, u.name) : html`<span class="muted small">no obvious field</span>`}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${mapping.notSent.length ? html`<p class="muted small">The IdP sent nothing for: ${mapping.notSent.map((f) => FIELD_LABELS[f]).join(', ')}. Add those attributes at the IdP if the app needs them.</p>` : ''}
</section>`;
}
