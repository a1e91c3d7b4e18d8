/**
 * The Keys page: every SP key with its state and dates, promote and retire buttons, a form to generate a
 * `next` key (global or for one connection), and the key lint per connection.
 */
import type { LintWarning } from '../../../core/metadata/lint.ts';
import type { SpKeyView } from '../../../keys/index.ts';
import { html, type SafeHtml } from '../../html.ts';
import { csrfField } from './layout.ts';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

/** The page body. */
export function keysPage(input: {
  keys: SpKeyView[];
  lint: { connectionId: string; warnings: LintWarning[] }[];
  connectionIds: string[];
  csrfToken: string;
}): SafeHtml {
  const { csrfToken } = input;
  const row = (k: SpKeyView) => {
    const action = (verb: 'promote' | 'retire', label: string, cls: string) =>
      html`<form method="post" action="/admin/keys/${encodeURIComponent(k.id)}/${verb}" class="inline">${csrfField(csrfToken)}<button type="submit" class="${cls}">${label}</button></form>`;
    const actions = [
      k.state === 'next' ? action('promote', 'Promote to active', 'primary') : html``,
      k.state !== 'retired' ? action('retire', 'Retire', 'danger') : html``,
    ];
    const badge = k.state === 'active' ? 'ok' : k.state === 'next' ? 'info' : 'warning';
    return html`<tr>
<td><code>${k.id}</code></td><td>${k.use}</td><td><span class="badge ${badge}">${k.state}</span></td>
<td>${k.connectionId ?? 'global'}</td><td>${day(k.createdAt)}</td><td>${day(k.activatedAt)}</td><td>${day(k.retiredAt)}</td>
<td>${day(k.notAfter)}</td><td class="small"><code>${k.fingerprintSha256.slice(0, 23)}…</code> <span class="muted">${k.keyStorage}</span></td>
<td>${actions}</td></tr>`;
  };
  const warnings = input.lint.flatMap(({ connectionId, warnings }) =>
    warnings.map(
      (w) =>
        html`<li><span class="badge ${w.severity}">${w.severity}</span> <strong>${connectionId}</strong>: ${w.message} <span class="muted">${w.hint ?? ''}</span></li>`,
    ),
  );
  return html`<h1>SP keys</h1>
<p class="muted">Each key goes <strong>next</strong> (published in the SP metadata, not used) → <strong>active</strong> (the most recently activated one signs; every active and next encryption key decrypts) → <strong>retired</strong> (neither published nor accepted). Give the IdPs the next certificate before promoting it; retire the old key once they all use the new one.</p>
${warnings.length ? html`<section><h2>Warnings</h2><ul>${warnings}</ul></section>` : html``}
<section><table>
<thead><tr><th>ID</th><th>Use</th><th>State</th><th>Scope</th><th>Created</th><th>Active since</th><th>Retired</th><th>Expires</th><th>Certificate</th><th></th></tr></thead>
<tbody>${input.keys.map(row)}</tbody>
</table></section>
<section><h2>Generate a next key</h2>
<form method="post" action="/admin/keys">${csrfField(csrfToken)}
<label for="use">Use</label><select id="use" name="use"><option value="signing">signing</option><option value="encryption">encryption</option></select>
<label for="connectionId">Scope</label><select id="connectionId" name="connectionId"><option value="">global (every connection)</option>${input.connectionIds.map((id) => html`<option value="${id}">connection ${id} only</option>`)}</select>
<p><button type="submit" class="primary">Generate</button></p>
</form></section>`;
}
