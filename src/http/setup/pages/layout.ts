/**
 * The setup portal's frame. Strict headers on every answer: no Referer at all (the first URL carried the
 * link's token), a CSP that allows only our own stylesheet and the one small script (copy buttons), never
 * framed, never cached.
 */
import type { Response } from 'express';
import { ADMIN_CSS } from '../../admin/pages/layout.ts';
import { html, type SafeHtml } from '../../html.ts';

export const PORTAL_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The headers of every portal answer, redirects included. */
export function setPortalHeaders(res: Response): void {
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', PORTAL_CSP);
}

export function portalPage(title: string, body: SafeHtml, appName: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${appName}</title>
<link rel="stylesheet" href="/setup/assets/portal.css">
<script src="/setup/assets/portal.js" defer></script>
</head>
<body>
<header><strong>${appName}</strong> single sign-on setup</header>
<main>
${body}
</main>
</body>
</html>
`.html;
}

export function sendPortalPage(res: Response, status: number, page: string): void {
  setPortalHeaders(res);
  res.status(status).type('html').send(page);
}

export const PORTAL_CSS = `${ADMIN_CSS}
.steps-nav { display: flex; gap: .5rem; flex-wrap: wrap; }
.steps-nav a[aria-current=true] { background: #1b1f23; color: #fff; }
.copy { margin-left: .4rem; padding: .05rem .5rem; font-size: .8rem; }
.copy.done::after { content: " ✓"; }
td code { word-break: break-all; }
.step-number { display: inline-block; width: 1.6rem; height: 1.6rem; border-radius: 50%; background: #1b1f23; color: #fff; text-align: center; margin-right: .4rem; }
button[disabled] { opacity: .5; cursor: not-allowed; }
`;

/** Copy buttons: `<button data-copy="text">`. Without JavaScript the values stay selectable text. */
export const PORTAL_JS = `document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('button[data-copy]');
  if (!button) return;
  navigator.clipboard.writeText(button.getAttribute('data-copy')).then(function () {
    button.classList.add('done');
    setTimeout(function () { button.classList.remove('done'); }, 1500);
  });
});
`;
