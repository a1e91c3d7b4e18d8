/** The banner over the admin page when an IdP signing certificate expires within 30 days or has expired. */
import type { CertificateWarning } from '../../../events/index.ts';
import { html, type SafeHtml } from '../../html.ts';

/** Nothing when no certificate needs attention. */
export function certificateBanner(warnings: readonly CertificateWarning[]): SafeHtml {
  if (warnings.length === 0) return html``;
  const expired = warnings.some((w) => w.threshold === 'expired');
  const items = warnings.map(
    (w) =>
      html`<li data-connection="${w.connectionId}" data-threshold="${w.threshold}"><a href="/admin/connections/${encodeURIComponent(w.connectionId)}"><strong>${w.displayName}</strong></a>: ${
        w.threshold === 'expired'
          ? html`the IdP signing certificate <code class="small">${w.fingerprintSha256.slice(0, 23)}…</code> <strong>expired</strong> on <time datetime="${w.notAfter}">${w.notAfter.slice(0, 10)}</time>`
          : html`the IdP signing certificate <code class="small">${w.fingerprintSha256.slice(0, 23)}…</code> expires in <strong>${String(w.daysLeft)} ${w.daysLeft === 1 ? 'day' : 'days'}</strong> (<time datetime="${w.notAfter}">${w.notAfter.slice(0, 10)}</time>)`
      }</li>`,
  );
  return html`<section class="banner ${expired ? 'error' : 'warning'}" id="certificate-banner" role="alert">
<h2>${expired ? 'An IdP certificate has expired' : 'IdP certificates expire soon'}</h2>
<ul>${items}</ul>
<p class="small">Sign-ins through a connection stop working when its IdP's certificate expires. Ask the customer's IdP admin to publish the new certificate in their metadata (a metadata URL picks it up by itself), or upload their new metadata.</p>
</section>`;
}

export const BANNER_CSS = `
.banner.warning { background: #fff8c5; border-color: #d4a72c; }
.banner.error { background: #ffebe9; border-color: #cf222e; }
.banner ul { margin: .25rem 0; }
`;
