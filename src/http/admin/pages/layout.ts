/**
 * The admin pages' frame: a stylesheet from /admin/assets (the CSP has no 'unsafe-inline' and no script at
 * all), the navigation, a one-shot flash message, and the strict headers every admin page carries.
 */
import type { Response } from 'express';
import { html, type SafeHtml } from '../../html.ts';
import { CSRF_FIELD } from '../csrf.ts';

/** No script, no inline style, forms only to ourselves, never framed. */
export const ADMIN_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface LayoutOptions {
  /** The signed-in session's CSRF token (shows the navigation and the sign-out form). */
  csrfToken?: string;
  flash?: { kind: 'ok' | 'error'; text: string } | undefined;
}

/** A hidden CSRF field for a form of this session. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** A complete admin page. */
export function adminPage(title: string, body: SafeHtml, options: LayoutOptions = {}): string {
  const nav = options.csrfToken
    ? html`<nav><a href="/admin">Connections</a> <a href="/admin/connections/new">New connection</a> <a href="/admin/organizations">Organizations</a> <a href="/admin/keys">Keys</a> <a href="/admin/traces">Traces</a> <a href="/admin/setup-links">Setup links</a> <a href="/admin/webhooks">Webhooks</a> <a href="/admin/audit">Audit log</a> <a href="/admin/admin-tokens">Admin tokens</a>
<form method="post" action="/admin/logout" class="inline">${csrfField(options.csrfToken)}<button type="submit" class="link">Sign out</button></form></nav>`
    : '';
  const flash = options.flash
    ? html`<p class="flash ${options.flash.kind}" role="status">${options.flash.text}</p>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · saml-sp-kit admin</title>
<link rel="stylesheet" href="/admin/assets/admin.css">
</head>
<body>
<header><strong>saml-sp-kit</strong> admin ${nav}</header>
<main>
${flash}
${body}
</main>
</body>
</html>
`.html;
}

/** Sends an admin page with its headers. */
export function sendAdminPage(res: Response, status: number, page: string): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', ADMIN_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.type('html').send(page);
}

export const ADMIN_CSS = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1b1f23; background: #f6f8fa; }
header { background: #1b1f23; color: #fff; padding: .6rem 1.5rem; display: flex; gap: 1.5rem; align-items: center; }
header a, header button.link { color: #fff; }
nav { display: flex; gap: 1rem; align-items: center; }
main { max-width: 68rem; margin: 1.5rem auto; padding: 0 1.5rem; }
section, .card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 0; }
code, pre, textarea { font: 13px ui-monospace, monospace; }
pre { background: #f3f4f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid #eaeef2; }
th { font-weight: 600; white-space: nowrap; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; }
.badge.ok { background: #dafbe1; color: #116329; } .badge.warning { background: #fff8c5; color: #7d4e00; }
.badge.error { background: #ffebe9; color: #a40e26; } .badge.info { background: #ddf4ff; color: #0550ae; }
.flash { padding: .6rem 1rem; border-radius: 6px; } .flash.ok { background: #dafbe1; } .flash.error { background: #ffebe9; }
.muted { color: #57606a; } .small { font-size: .85rem; }
form.inline { display: inline; }
label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
input[type=text], input[type=url], input[type=password], input[type=number], select, textarea { width: 100%; box-sizing: border-box; padding: .35rem; border: 1px solid #d0d7de; border-radius: 6px; }
input[type=checkbox] { margin-right: .4rem; }
button, a.button { display: inline-block; padding: .35rem .9rem; border: 1px solid #1b1f23; border-radius: 6px; background: #fff; color: #1b1f23; text-decoration: none; cursor: pointer; font: inherit; }
button.primary, a.button.primary { background: #1f883d; border-color: #1f883d; color: #fff; }
button.danger { border-color: #cf222e; color: #cf222e; }
button.link { border: 0; background: none; padding: 0; text-decoration: underline; cursor: pointer; }
.actions { display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; margin-bottom: 1rem; }
.error-box { border-left: 4px solid #cf222e; background: #ffebe9; padding: .5rem 1rem; }
details { margin: .4rem 0; } summary { cursor: pointer; font-weight: 600; }
ol li { margin-bottom: .3rem; }
td, code, li, p { overflow-wrap: anywhere; }
.wrap, code.wrap { overflow-wrap: anywhere; word-break: break-word; }
code.fingerprint { font-size: .72rem; overflow-wrap: anywhere; word-break: break-all; }
.nowrap { white-space: nowrap; }
table.certificates td:first-child { max-width: 32rem; }
.banner { border-left: 4px solid #bf8700; background: #fff8c5; }
.danger-zone { border-color: #cf222e; }
.warning-box { background: #fff8c5; padding: .4rem .6rem; border-radius: 6px; font-weight: 400; }
fieldset { border: 1px solid #d0d7de; border-radius: 6px; margin: .6rem 0; padding: .4rem .8rem; min-width: 0; }
legend { font-weight: 600; } fieldset label { font-weight: 400; } label.sub { font-weight: 400; margin-left: 1.6rem; }
input[type=radio] { margin-right: .4rem; }
a.button.small, button.small { padding: .1rem .5rem; font-size: .85rem; }
button.primary code, button code { color: inherit; }
h3 { font-size: 1rem; }
@media (max-width: 720px) {
  header { flex-wrap: wrap; gap: .5rem 1rem; padding: .6rem .8rem; }
  nav { flex-wrap: wrap; }
  main { padding: 0 .6rem; margin-top: 1rem; }
  section, .card { padding: .75rem; }
  th { white-space: normal; }
  table.kv th, table.kv td { display: block; border-bottom: 0; padding: .2rem 0; }
  table.kv tr { display: block; border-bottom: 1px solid #eaeef2; padding: .3rem 0; }
  table.connections thead, table.certificates thead { display: none; }
  table.connections tr, table.connections td, table.certificates tr, table.certificates td { display: block; border-bottom: 0; padding: .2rem 0; }
  table.connections tr, table.certificates tr { border-bottom: 1px solid #eaeef2; padding: .5rem 0; }
  table.certificates td:first-child { max-width: none; }
}
table.checks td { overflow-wrap: anywhere; } table.checks td:first-child { width: 3.5rem; }
`;
