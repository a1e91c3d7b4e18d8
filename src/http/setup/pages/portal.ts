/**
 * The portal page: one page, six steps, top to bottom. Pick the IdP vendor; configure it with our values (copy
 * buttons, downloads, the admin page's own per-vendor steps filled with this connection's URLs); hand over the
 * IdP's metadata (file or URL) and read the lint in plain words; verify a domain; run a test sign-in; activate.
 * Everything from the IdP or the customer goes through the escaping `html` tag.
 */
import type { LintWarning } from '../../../core/metadata/lint.ts';
import { VENDORS } from '../../admin/pages/instructions.ts';
import { csrfField } from '../../admin/pages/layout.ts';
import { html, type SafeHtml } from '../../html.ts';
import type { PortalConnectionState, PortalTestOutcome } from '../portal-connections.ts';
import type { PortalDomain } from '../portal-domains.ts';
import type { PortalSession, VendorKey } from '../portal-session.ts';

export const VENDOR_KEYS: VendorKey[] = ['okta', 'entra', 'adfs', 'google', 'keycloak', 'other'];

export function vendorName(key: VendorKey): string {
  return key === 'other' ? 'Other SAML 2.0 IdP' : VENDORS[key].name;
}

export interface PortalPageInput {
  organizationName: string;
  linkExpiresAt: Date;
  session: PortalSession;
  state: PortalConnectionState;
  test: PortalTestOutcome | undefined;
  /** The test passed on the connection as it is now (not on metadata replaced since). */
  canActivate: boolean;
  activatedAt: Date | undefined;
  /** undefined: this server has no domain verification. */
  domains: PortalDomain[] | undefined;
}

export function portalBody(p: PortalPageInput): SafeHtml {
  return html`<h1>Set up single sign-on for ${p.organizationName}</h1>
<p class="muted">This setup link works until ${p.linkExpiresAt.toUTCString()}. No account is needed; keep the link to yourself.</p>
${flash(p.session)}
${vendorStep(p.session.vendor)}
${p.session.vendor ? configureStep(p.session.vendor, p.state) : ''}
${metadataStep(p)}
${domainStep(p)}
${testStep(p)}
${activateStep(p)}`;
}

function flash(session: PortalSession): SafeHtml | string {
  const f = session.flash;
  if (!f) return '';
  return html`<section class="${f.kind === 'error' ? 'error-box' : 'flash ok'}" role="${f.kind === 'error' ? 'alert' : 'status'}" id="flash">
<p>${f.code ? html`<strong>${f.code}</strong>: ` : ''}${f.text}</p>${f.hint ? html`<p>${f.hint}</p>` : ''}</section>`;
}

function vendorStep(chosen: VendorKey | undefined): SafeHtml {
  return html`<section id="vendor"><h2><span class="step-number">1</span>Your identity provider</h2>
<p>Which identity provider do your users sign in with?</p>
<nav class="steps-nav">${VENDOR_KEYS.map(
    (key) =>
      html`<a class="button" data-vendor="${key}" href="/setup/portal/vendor/${key}#configure"${key === chosen ? html` aria-current="true"` : ''}>${vendorName(key)}</a>`,
  )}</nav></section>`;
}

function copyable(name: string, value: string): SafeHtml {
  return html`<code data-sp="${name}">${value}</code><button type="button" class="copy" data-copy="${value}">Copy</button>`;
}

function configureStep(vendor: VendorKey, state: PortalConnectionState): SafeHtml {
  const sp = state.sp;
  const steps =
    vendor === 'other'
      ? [
          html`Create a SAML 2.0 application (a “service provider” or “relying party”) for us in your IdP.`,
          html`Import our SP metadata (download below), or enter the values above by hand: Entity ID, ACS URL with the HTTP-POST binding, single logout URL.`,
          html`Send the user’s email address as the NameID (emailAddress format) or as an attribute named ${html`<code>email</code>`}; first name, last name and groups as attributes if you can.`,
          html`Sign the assertion (or the whole response) with RSA-SHA256. Our authentication requests are signed with the certificate below.`,
          html`Then give us your IdP’s metadata in step 3.`,
        ]
      : VENDORS[vendor].steps(sp);
  return html`<section id="configure"><h2><span class="step-number">2</span>Configure ${vendorName(vendor)}</h2>
<table>
<tr><th>Entity ID (Audience)</th><td>${copyable('entityId', sp.entityId)}</td></tr>
<tr><th>ACS URL (HTTP-POST)</th><td>${copyable('acsUrl', sp.acsUrl)}</td></tr>
<tr><th>Single logout URL</th><td>${copyable('sloUrl', sp.sloUrl)}</td></tr>
<tr><th>SP metadata URL</th><td>${copyable('metadataUrl', sp.metadataUrl)}</td></tr>
<tr><th>Downloads</th><td><a class="button" href="/setup/portal/sp-metadata.xml" download>SP metadata (XML)</a> <a class="button" href="/setup/portal/sp-certificate.pem" download>SP signing certificate (PEM)</a></td></tr>
</table>
<h3>Steps in ${vendorName(vendor)}</h3>
<ol data-steps="${vendor}">${steps.map((step) => html`<li>${step}</li>`)}</ol>
</section>`;
}

/** Lint severities in plain words. */
const SEVERITY: Record<LintWarning['severity'], { label: string; badge: string }> = {
  error: { label: 'Must fix', badge: 'error' },
  warning: { label: 'Worth checking', badge: 'warning' },
  info: { label: 'Good to know', badge: 'info' },
};

function metadataStep(p: PortalPageInput): SafeHtml {
  const view = p.state.view;
  return html`<section id="metadata"><h2><span class="step-number">3</span>Your IdP’s metadata</h2>
${
  view
    ? html`<p><span class="badge ok">received</span> From <code id="idp-entity-id">${view.idpEntityId}</code>${view.metadata.url ? html` (fetched from <code>${view.metadata.url}</code>; we re-read it regularly, so certificate changes are picked up)` : html` (uploaded file)`}.</p>
${
  view.lint.length
    ? html`<ul class="lint">${view.lint.map(
        (l) =>
          html`<li data-lint="${l.id}"><span class="badge ${SEVERITY[l.severity].badge}">${SEVERITY[l.severity].label}</span> ${l.message}${l.hint ? html`<br><span class="muted small">${l.hint}</span>` : ''}</li>`,
      )}</ul>`
    : html`<p id="lint-clean">We checked it: nothing to fix.</p>`
}
<p class="muted small">You can replace it below.</p>`
    : html`<p>Once the application exists in your IdP, give us its metadata: the URL is best (we follow certificate changes), a file works too.</p>`
}
<form method="post" action="/setup/portal/metadata" enctype="multipart/form-data">
${csrfField(p.session.csrfToken)}
<label for="metadataUrl">Metadata URL</label>
<input type="url" id="metadataUrl" name="metadataUrl" placeholder="https://idp.example.com/…/metadata">
<label for="metadataFile">or the metadata file</label>
<input type="file" id="metadataFile" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml">
<p><button type="submit" class="primary">Save metadata</button></p>
</form></section>`;
}

function domainStep(p: PortalPageInput): SafeHtml {
  if (p.domains === undefined) {
    return html`<section id="domain"><h2><span class="step-number">4</span>Your email domain</h2>
<p class="muted" data-domains="unavailable">Domain verification is not available on this server yet. We will verify your domain with you separately.</p></section>`;
  }
  return html`<section id="domain"><h2><span class="step-number">4</span>Your email domain</h2>
<p>Prove that your organization owns its email domain: add this TXT record in your DNS, then press Verify.</p>
${
  p.domains.length
    ? html`<table><thead><tr><th>Domain</th><th>TXT record</th><th>Status</th><th></th></tr></thead><tbody>${p.domains.map(
        (d) => html`<tr data-domain="${d.domain}"><td><code>${d.domain}</code></td>
<td>${d.verified ? '' : html`Name ${copyable('txtName', d.txtName)}<br>Value ${copyable('txtValue', d.txtValue)}`}</td>
<td>${d.verified ? html`<span class="badge ok">verified</span>` : html`<span class="badge warning">not verified</span>`}</td>
<td>${d.verified ? '' : html`<form method="post" action="/setup/portal/domains/verify" class="inline">${csrfField(p.session.csrfToken)}<input type="hidden" name="domain" value="${d.domain}"><button type="submit">Verify</button></form>`}</td></tr>`,
      )}</tbody></table>`
    : ''
}
<form method="post" action="/setup/portal/domains">
${csrfField(p.session.csrfToken)}
<label for="domain-name">Add a domain</label>
<input type="text" id="domain-name" name="domain" placeholder="example.com">
<p><button type="submit">Add domain</button></p>
</form></section>`;
}

function testStep(p: PortalPageInput): SafeHtml {
  const ready = p.state.view !== undefined;
  return html`<section id="test"><h2><span class="step-number">5</span>Test sign-in</h2>
<p>Sign in once with your own account at your IdP: we check everything your IdP sends and show it here.</p>
${ready ? html`<p><a class="button primary" id="start-test" href="/setup/portal/test">Run a test sign-in</a></p>` : html`<p class="muted">Give us your IdP’s metadata first (step 3).</p>`}
${testOutcome(p.test)}
</section>`;
}

function testOutcome(test: PortalTestOutcome | undefined): SafeHtml | string {
  if (!test) return '';
  if (test.status === 'pending') {
    return html`<p data-test="pending">No answer from your IdP has arrived for the last test yet. Finish signing in there, or run the test again.</p>`;
  }
  if (test.status === 'failed') {
    return html`<div class="error-box" data-test="failed"><p><span class="badge error">failed</span> <strong>${test.code}</strong>: ${test.message}</p><p>${test.hint}</p></div>`;
  }
  const r = test.result;
  const row = (label: string, value: string | undefined) =>
    html`<tr><th>${label}</th><td>${value === undefined ? html`<span class="muted">(not sent)</span>` : html`<code>${value}</code>`}</td></tr>`;
  return html`<div data-test="passed"><p><span class="badge ok">passed</span> Signed in as <code id="test-name-id">${r.nameId.value}</code>.</p>
<table>${row('Email', r.profile.email)}${row('First name', r.profile.firstName)}${row('Last name', r.profile.lastName)}
<tr><th>Groups</th><td>${r.profile.groups.length ? r.profile.groups.map((g) => html`<code>${g}</code> `) : html`<span class="muted">(none sent)</span>`}</td></tr></table>
${r.profile.warnings.length ? html`<ul>${r.profile.warnings.map((w) => html`<li><span class="badge warning">mapping</span> ${w}</li>`)}</ul>` : ''}
<details><summary>Everything your IdP sent</summary><table>${Object.entries(r.attributes).map(
    ([name, values]) =>
      html`<tr><td><code>${name}</code></td><td>${values.map((v) => html`<code>${v}</code><br>`)}</td></tr>`,
  )}</table></details></div>`;
}

function activateStep(p: PortalPageInput): SafeHtml {
  return html`<section id="activate"><h2><span class="step-number">6</span>Activate</h2>
${
  p.activatedAt
    ? html`<p data-activated="true"><span class="badge ok">active</span> Single sign-on is active since ${p.activatedAt.toUTCString()}. You are done.</p>`
    : html`<p>Activate once the test sign-in passed: your users can then sign in with ${p.organizationName}’s identity provider.</p>
<form method="post" action="/setup/portal/activate">${csrfField(p.session.csrfToken)}<button type="submit" class="primary" id="activate-button"${p.canActivate ? '' : html` disabled`}>Activate single sign-on</button></form>
${p.canActivate ? '' : html`<p class="muted small">Needs a passing test sign-in on the current metadata.</p>`}`
}</section>`;
}
