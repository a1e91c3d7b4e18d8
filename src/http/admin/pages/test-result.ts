/** What a test sign-in received: the NameID, the raw attributes, the signature facts and the mapped user. */
import type { ConnectionView } from '../../../sp/connection-view.ts';
import { html, type SafeHtml } from '../../html.ts';
import type { TestRunResult } from '../test-runs.ts';
import { ago } from './list.ts';

export function testResultPage(
  v: ConnectionView,
  result: TestRunResult | undefined,
  startedAt: number,
  now: Date,
): SafeHtml {
  const id = encodeURIComponent(v.id);
  const again = html`<p class="actions"><a class="button primary" href="/admin/connections/${id}/test">Run the test again</a> <a class="button" href="/admin/connections/${id}">Back to the connection</a></p>`;
  if (!result) {
    const failure = v.health.lastFailure;
    const failedNow = failure && Date.parse(failure.at) >= startedAt;
    return html`<h1>Test sign-in: ${v.displayName}</h1>
${
  failedNow
    ? html`<section class="error-box" id="test-failure"><p><span class="badge error">failed</span> ${ago(failure.at, now)}: <code>${failure.code}</code> ${failure.message}</p><p>${failure.hint}</p></section>`
    : html`<section><p>No response has arrived for this test yet. Finish signing in at the IdP, or run it again.</p></section>`
}
${again}`;
  }
  const p = result.profile;
  const row = (label: string, value: string | undefined) =>
    html`<tr><th>${label}</th><td>${value === undefined ? html`<span class="muted">(not mapped)</span>` : html`<code>${value}</code>`}</td></tr>`;
  return html`<h1>Test sign-in: ${v.displayName} <span class="badge ok" data-result="success">success</span></h1>
<p class="muted">Signed in ${ago(result.at, now)} as <code id="name-id">${result.nameId.value}</code>${result.nameId.format ? html` (${result.nameId.format})` : ''}; issuer <code>${result.issuer}</code>.</p>
<section id="mapped-user"><h2>Mapped user</h2><table>
${row('Email', p.email)}${row('First name', p.firstName)}${row('Last name', p.lastName)}${row('Display name', p.displayName)}
<tr><th>Groups</th><td>${p.groups.length ? p.groups.map((g) => html`<code>${g}</code> `) : html`<span class="muted">none</span>`}</td></tr>
${row('Stable ID', p.externalId)}
<tr><th>Local user id</th><td><code>${result.userId}</code></td></tr>
</table>
${p.warnings.length ? html`<ul>${p.warnings.map((w) => html`<li><span class="badge warning">mapping</span> ${w}</li>`)}</ul>` : ''}
</section>
<section id="attributes"><h2>Received attributes</h2><table>
<thead><tr><th>Name</th><th>Values</th></tr></thead>
<tbody>${Object.entries(result.attributes).map(
    ([name, values]) =>
      html`<tr><td><code>${name}</code></td><td>${values.map((value) => html`<code>${value}</code><br>`)}</td></tr>`,
  )}</tbody></table>
${Object.keys(result.attributes).length === 0 ? html`<p class="muted">The assertion carried no attributes.</p>` : ''}
</section>
<section id="assertion"><h2>Assertion</h2><table>
<tr><th>Signed</th><td>${result.signature.signedElements.join(' and ')} with <code>${result.signature.algorithm}</code></td></tr>
<tr><th>Certificate</th><td><code class="small">${result.signature.certificateFingerprint}</code></td></tr>
<tr><th>Encrypted</th><td>${result.wasEncrypted ? 'yes' : 'no'}</td></tr>
${result.sessionIndex ? html`<tr><th>SessionIndex</th><td><code>${result.sessionIndex}</code></td></tr>` : ''}
</table></section>
${again}`;
}
