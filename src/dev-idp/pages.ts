/**
 * The dev IdP's HTML: plain pages that need no JavaScript and no external assets. Every interpolated value goes
 * through `escapeHtml`. The auto-posting response form is the shared one in core/request/post-form.ts.
 */
import type { DevIdpUser } from './users.ts';

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

// Named entities (and &#39;, which HTML 4 lacks a name for): the forms every client-side decoder knows.
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}',
  'label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;padding:.4rem}',
  'button{margin-top:1rem;padding:.5rem 1.25rem}.error{color:#a00}.hint{color:#555;font-size:.9rem}',
  'code{background:#f3f3f3;padding:0 .2rem}',
].join('');

function page(title: string, body: string): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    body,
    '</body></html>',
  ].join('');
}

/** What the login form shows and carries. */
export interface LoginPageInput {
  action: string;
  pendingId: string;
  spEntityId: string;
  users: readonly DevIdpUser[];
  username?: string;
  error?: string;
}

/** The login form: POST to `action` with `username`, `password` and the pending request's id. */
export function loginPage(input: LoginPageInput): string {
  const hint = input.users
    .map((u) => `<li><code>${escapeHtml(u.username)}</code> / <code>${escapeHtml(u.password)}</code></li>`)
    .join('');
  return page(
    'Sign in: development IdP',
    [
      '<h1>Development IdP</h1>',
      `<p>Sign in to continue to <strong>${escapeHtml(input.spEntityId)}</strong>.</p>`,
      input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '',
      `<form method="post" action="${escapeHtml(input.action)}">`,
      `<input type="hidden" name="pending" value="${escapeHtml(input.pendingId)}">`,
      '<label for="username">Username</label>',
      `<input type="text" id="username" name="username" autocomplete="username" autofocus required value="${escapeHtml(input.username ?? '')}">`,
      '<label for="password">Password</label>',
      '<input type="password" id="password" name="password" autocomplete="current-password" required>',
      '<button type="submit">Sign in</button></form>',
      `<p class="hint">Test users (development only):</p><ul class="hint">${hint}</ul>`,
    ].join(''),
  );
}

/** A refusal or failure page. `code` is a stable SamlErrorCode when there is one. */
export function errorPage(title: string, message: string, code?: string): string {
  return page(
    `${title}: development IdP`,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p>${escapeHtml(message)}</p>`,
      code ? `<p class="hint">Code: <code>${escapeHtml(code)}</code></p>` : '',
    ].join(''),
  );
}

/** Shown after the IdP session has ended; `unconfirmed` lists the SPs that did not confirm their logout. */
export function loggedOutPage(wasSignedIn: boolean, unconfirmed: readonly string[] = []): string {
  const partial = unconfirmed.length
    ? `<p class="error" id="unconfirmed">These applications did not confirm that they signed you out: ${unconfirmed
        .map((id) => `<code>${escapeHtml(id)}</code>`)
        .join(', ')}. Close the browser to be sure.</p>`
    : '';
  return page(
    'Signed out: development IdP',
    wasSignedIn
      ? `<h1>Signed out</h1><p>Your development IdP session has ended. The next sign-in asks for a password.</p>${partial}`
      : '<h1>Not signed in</h1><p>There was no development IdP session in this browser.</p>',
  );
}

/** Shown when an SP answers an IdP-initiated logout: its status, in an element tests can read. */
export function logoutResponsePage(
  spEntityId: string,
  statusCodes: readonly string[],
  verified: boolean,
): string {
  const success = statusCodes[0] === 'urn:oasis:names:tc:SAML:2.0:status:Success';
  return page(
    'Signed out: development IdP',
    [
      `<h1>${success ? 'Signed out' : 'Sign-out incomplete'}</h1>`,
      `<p>${escapeHtml(spEntityId)} answered the logout request.</p>`,
      `<p class="hint">Status: <code id="logout-status">${escapeHtml(statusCodes.join(' / '))}</code>`,
      `${verified ? ' (signature verified)' : ' (signature not verified)'}</p>`,
    ].join(''),
  );
}
