/** The sign-in form and the new-connection form. */
import { PRESET_NAMES, type PresetName } from '../../../core/types.ts';
import { html, type SafeHtml } from '../../html.ts';
import { csrfField } from './layout.ts';

export function loginForm(options: { error?: string; tokenConfigured: boolean }): SafeHtml {
  if (!options.tokenConfigured) {
    return html`<h1>Admin</h1><section class="error-box"><p><strong>ADMIN_TOKEN_NOT_SET</strong>: the admin page is disabled because ADMIN_TOKEN is not set.</p>
<p>Set ADMIN_TOKEN (at least 16 random characters) in the server environment and restart.</p></section>`;
  }
  return html`<h1>Sign in</h1>
${options.error ? html`<p class="error-box" role="alert">${options.error}</p>` : ''}
<section><form method="post" action="/admin/login">
<label for="token">Admin token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required>
<p class="muted small">Your named admin token, or ADMIN_TOKEN from the server environment.</p>
<button type="submit" class="primary">Sign in</button>
</form></section>`;
}

const PRESET_LABELS: Record<PresetName, string> = {
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  adfs: 'AD FS',
  google: 'Google Workspace',
  keycloak: 'Keycloak',
  generic: 'Other (generic)',
};

export function presetOptions(selected: string | undefined): SafeHtml[] {
  return PRESET_NAMES.map(
    (p) => html`<option value="${p}"${p === selected ? html` selected` : ''}>${PRESET_LABELS[p]}</option>`,
  );
}

export interface NewConnectionValues {
  displayName?: string;
  id?: string;
  preset?: string;
  metadataUrl?: string;
  idpEntityId?: string;
  sharedSpEntityId?: boolean;
  allowDuplicateName?: boolean;
}

export function newConnectionForm(
  csrfToken: string,
  values: NewConnectionValues = {},
  error?: { code: string; message: string; hint: string; entities?: string[]; duplicateName?: boolean },
): SafeHtml {
  return html`<h1>New connection</h1>
${
  error
    ? html`<div class="error-box" role="alert"><p><strong>${error.code}</strong>: ${error.message}</p><p>${error.hint}</p>
${error.entities?.length ? html`<p>Entity IDs in the document:</p><ul>${error.entities.map((e) => html`<li><code>${e}</code></li>`)}</ul>` : ''}</div>`
    : ''
}
<p class="muted">Only a name is needed. The connection starts as a draft with its own SP entity ID, ACS URL and SP metadata to give the IdP admin; add the IdP metadata now or later, run a test sign-in, then activate it.</p>
<section><form method="post" action="/admin/connections" enctype="multipart/form-data">
${csrfField(csrfToken)}
<label for="displayName">Name</label>
<input type="text" id="displayName" name="displayName" required maxlength="200" value="${values.displayName ?? ''}" placeholder="Acme Corp">
${error?.duplicateName ? html`<label class="warning-box"><input type="checkbox" name="allowDuplicateName" value="on" id="allowDuplicateName">Create it anyway, with the same name as the existing connection</label>` : ''}
<label for="id">Id <span class="muted">(optional; used in URLs, generated from the name)</span></label>
<input type="text" id="id" name="id" maxlength="63" pattern="[A-Za-z0-9][A-Za-z0-9_-]*" value="${values.id ?? ''}">
<label for="preset">IdP product</label>
<select id="preset" name="preset">${presetOptions(values.preset ?? 'generic')}</select>
<h2>IdP metadata <span class="muted small">(optional now: the connection waits as a draft)</span></h2>
<label for="metadataFile">Upload the metadata file</label>
<input type="file" id="metadataFile" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml">
<label for="metadataUrl">or its URL <span class="muted">(refreshed automatically; certificate rollovers need no action)</span></label>
<input type="url" id="metadataUrl" name="metadataUrl" value="${values.metadataUrl ?? ''}" placeholder="https://idp.example.com/metadata">
<label for="metadataXml">or paste it</label>
<textarea id="metadataXml" name="metadataXml" rows="4"></textarea>
<details><summary>More options</summary>
<label for="idpEntityId">IdP entity ID <span class="muted">(to pick one IdP from an aggregate)</span></label>
<input type="text" id="idpEntityId" name="idpEntityId" value="${values.idpEntityId ?? ''}">
<label><input type="checkbox" name="sharedSpEntityId" value="on"${values.sharedSpEntityId ? html` checked` : ''}>Use the shared SP entity ID instead of this connection's own (only for an IdP already configured with it; two connections to one IdP then collide)</label>
<label for="metadataSigningCertificate">Metadata signing certificate <span class="muted">(optional, PEM: the metadata must then be signed with it, e.g. the ADFS token-signing certificate)</span></label>
<textarea id="metadataSigningCertificate" name="metadataSigningCertificate" rows="3"></textarea>
</details>
<p><button type="submit" class="primary">Create connection</button></p>
</form></section>`;
}
