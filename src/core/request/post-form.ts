/**
 * The HTTP-POST binding's browser hop: an HTML page whose form carries the SAML message and submits itself.
 * Used for AuthnRequests, IdP responses in the dev IdP, and logout messages.
 *
 * The page works without JavaScript (a visible button inside <noscript>) and under a strict Content Security
 * Policy: the only script is a fixed inline statement whose hash is exported, so `script-src` can allow
 * exactly it (or a nonce can be passed) instead of 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
import { InvalidOptionError } from '../errors.ts';

const SUBMIT_SCRIPT = 'document.forms[0].submit();';

/**
 * The CSP source expression that allows the auto-submit script, e.g. for
 * `Content-Security-Policy: script-src ${AUTO_POST_SCRIPT_HASH}; form-action https://idp.example.com`.
 */
export const AUTO_POST_SCRIPT_HASH = `'sha256-${createHash('sha256').update(SUBMIT_SCRIPT).digest('base64')}'`;

/** Input of {@link renderAutoPostForm}. */
export interface AutoPostForm {
  /** Absolute http(s) URL the form posts to. */
  action: string;
  /** Hidden fields; undefined values are left out. */
  fields: Record<string, string | undefined>;
  /** Page title. Default "Continuing sign-in…". */
  title?: string;
  /** A CSP nonce to put on the script tag, as an alternative to {@link AUTO_POST_SCRIPT_HASH}. */
  nonce?: string;
}

/**
 * Renders a self-submitting HTML form. Every value is HTML-escaped, and the action must be an http(s) URL so
 * a `javascript:` endpoint in hostile metadata cannot turn the page into script.
 *
 * @example
 * ```ts
 * res.type('html').send(renderAutoPostForm({ action, fields: { SAMLRequest, RelayState } }));
 * ```
 */
export function renderAutoPostForm(form: AutoPostForm): string {
  const url = URL.parse(form.action);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidOptionError(
      `renderAutoPostForm: action must be an absolute http(s) URL, got "${form.action}".`,
    );
  }
  const title = escapeHtml(form.title ?? 'Continuing sign-in…');
  const inputs = Object.entries(form.fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([name, value]) => `    <input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    );
  const nonce = form.nonce === undefined ? '' : ` nonce="${escapeHtml(form.nonce)}"`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '  <meta charset="utf-8">',
    '  <meta name="viewport" content="width=device-width, initial-scale=1">',
    // The message travels in the body; there is no reason to leak this page's URL to the IdP.
    '  <meta name="referrer" content="no-referrer">',
    `  <title>${title}</title>`,
    '</head>',
    '<body>',
    `  <form method="post" action="${escapeHtml(form.action)}">`,
    ...inputs,
    '    <noscript>',
    '      <p>JavaScript is turned off. Press the button to continue.</p>',
    '      <button type="submit">Continue</button>',
    '    </noscript>',
    '  </form>',
    `  <script${nonce}>${SUBMIT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}
