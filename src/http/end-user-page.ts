/**
 * The error page a person sees (issue #13, item 3): what happened in plain words per family of errors, the
 * organization's name, a "Try again" button that starts a fresh sign-in, the time and the trace ID to quote,
 * and the support contact the app configured. The error code and our own description of it sit behind a
 * collapsed "For your IT admin" section. Never on this page: the error's message and hint (they are written
 * for operators, "set REDIS_URL", and a refused message's may quote a stranger's text), stack traces, paths.
 */
import { SAML_ERROR_CODES } from '../core/errors.ts';
import { html, type SafeHtml } from './html.ts';

/** What the page knows about where the person was signing in. */
export interface EndUserContext {
  /** The organization's name (the connection's display name when it has no organization). */
  organizationName?: string;
  connectionId?: string;
  /** Starts a fresh sign-in (same connection, a safe returnTo): the "Try again" button. */
  retryUrl?: string;
  /** SUPPORT_CONTACT: an e-mail address, a URL or any text. */
  supportContact?: string;
}

export type ErrorFamily =
  | 'idp-refused'
  | 'not-assigned'
  | 'expired'
  | 'clock'
  | 'setup'
  | 'unreadable'
  | 'unavailable'
  | 'not-found'
  | 'method'
  | 'generic';

const FAMILIES: Record<ErrorFamily, { title: string; text: (org: string) => string; retry: boolean }> = {
  'idp-refused': {
    title: 'Your company’s sign-in service refused this sign-in',
    text: (org) =>
      `The sign-in service of ${org} answered that it could not sign you in. Try again; if it keeps happening, your IT admin can look this attempt up with the reference below.`,
    retry: true,
  },
  'not-assigned': {
    title: 'You don’t have access to this app yet',
    text: (org) =>
      `The sign-in service of ${org} did not let you into this app. Usually this means your account is not assigned to it. Ask your IT admin to give you access, then try again.`,
    retry: true,
  },
  expired: {
    title: 'This sign-in link expired',
    text: () =>
      'The sign-in took too long, was already used, or was started in another browser or tab. Start it again from here.',
    retry: true,
  },
  clock: {
    title: 'The clocks don’t agree',
    text: (org) =>
      `The sign-in service of ${org} and this app disagree about the time, so the sign-in could not be trusted. Try again in a minute; if it keeps happening, your IT admin should check the sign-in service’s clock.`,
    retry: true,
  },
  setup: {
    title: 'Sign-in isn’t set up correctly',
    text: (org) =>
      `The sign-in between ${org} and this app is not configured correctly, so we could not trust the answer. Your IT admin needs to fix it; the reference below tells them exactly what went wrong.`,
    retry: false,
  },
  unreadable: {
    title: 'The sign-in could not be read',
    text: () =>
      'The sign-in message that reached us was incomplete or damaged. Start the sign-in again from here.',
    retry: true,
  },
  unavailable: {
    title: 'We’re having trouble on our side',
    text: () => 'Our service could not complete your request just now. Please try again in a few minutes.',
    retry: true,
  },
  'not-found': {
    title: 'Not found',
    text: () => 'There is nothing at this address. Check the link, or go back to the start page.',
    retry: false,
  },
  method: {
    title: 'This page can’t be opened this way',
    text: () => 'This address exists, but not for this kind of request. Go back to the start page.',
    retry: false,
  },
  generic: {
    title: 'Something went wrong',
    text: () => 'We could not complete your request. Try again; if it keeps happening, contact support.',
    retry: true,
  },
};

const EXPIRED = new Set([
  'SAML_RESPONSE_EXPIRED',
  'SAML_REPLAYED',
  'SAML_IN_RESPONSE_TO_UNKNOWN',
  'SAML_UNSOLICITED',
  'SAML_MESSAGE_MISSING',
  'SAML_LOGOUT_CROSS_SITE',
]);
const UNREADABLE = new Set([
  'SAML_MALFORMED',
  'SAML_DTD_FORBIDDEN',
  'SAML_XML_TOO_DEEP',
  'SAML_PROCESSING_INSTRUCTION_FORBIDDEN',
  'SAML_MESSAGE_TOO_LARGE',
  'REQUEST_TOO_LARGE',
  'REQUEST_INVALID',
]);
const UNAVAILABLE = new Set(['STORE_UNAVAILABLE', 'INTERNAL_ERROR', 'SAML_REPLAY_CACHE_FULL']);

/**
 * The family of an error code. `statusCodes` are the IdP's StatusCode values of a SAML_STATUS_NOT_SUCCESS
 * (fixed URNs: mapping them to our own sentences shows nothing a stranger wrote).
 *
 * @example
 * ```ts
 * errorFamily('SAML_AUDIENCE_MISMATCH'); // 'setup'
 * ```
 */
export function errorFamily(code: string, status = 400, statusCodes: unknown = undefined): ErrorFamily {
  if (code === 'SAML_STATUS_NOT_SUCCESS') {
    const codes = Array.isArray(statusCodes) ? statusCodes.map(String) : [];
    return codes.some((c) => /:(RequestDenied|UnknownPrincipal)$/.test(c)) ? 'not-assigned' : 'idp-refused';
  }
  if (code === 'SAML_RESPONSE_NOT_YET_VALID') return 'clock';
  if (EXPIRED.has(code)) return 'expired';
  if (UNREADABLE.has(code)) return 'unreadable';
  if (UNAVAILABLE.has(code) || status >= 500) return 'unavailable';
  if (code === 'NOT_FOUND' || code === 'SAML_CONNECTION_NOT_FOUND' || status === 404) return 'not-found';
  if (code === 'METHOD_NOT_ALLOWED') return 'method';
  if (code.startsWith('SAML_')) return 'setup';
  return 'generic';
}

export interface EndUserErrorPage {
  code: string;
  status: number;
  traceId: string;
  at: Date;
  /** The IdP's status codes of a SAML_STATUS_NOT_SUCCESS (see {@link errorFamily}). */
  statusCodes?: unknown;
  /** What failed ("Sign-in failed", "Sign-out refused"), shown above the plain-language heading. */
  title?: string;
  context?: EndUserContext;
}

/**
 * The whole HTML page.
 *
 * @example
 * ```ts
 * res.status(400).type('html').send(renderEndUserErrorPage({ code, status: 400, traceId, at: new Date() }));
 * ```
 */
export function renderEndUserErrorPage(p: EndUserErrorPage): string {
  const family = FAMILIES[errorFamily(p.code, p.status, p.statusCodes)];
  const ctx = p.context ?? {};
  const org = ctx.organizationName ?? 'your company';
  const when = p.at.toISOString().replace('T', ' ').slice(0, 19);
  const description = (SAML_ERROR_CODES as Record<string, string>)[p.code];
  const body = html`<main class="card">
${p.title ? html`<p class="kicker">${p.title}</p>` : ''}
<h1>${family.title}</h1>
${ctx.organizationName ? html`<p class="org">Signing in with <strong>${ctx.organizationName}</strong></p>` : ''}
<p>${family.text(org)}</p>
<p class="actions">${family.retry && ctx.retryUrl ? html`<a class="button primary" href="${ctx.retryUrl}">Try again</a> ` : ''}<a class="button" href="/">Start page</a></p>
<p class="reference">Reference: <code data-trace-id>${p.traceId}</code> · <time datetime="${p.at.toISOString()}">${when} UTC</time></p>
<p class="muted">${supportLine(ctx.supportContact)}</p>
<details><summary>For your IT admin</summary>
<table>
<tr><th>Error code</th><td><code>${p.code}</code>${description ? html` — ${description}` : ''}</td></tr>
<tr><th>Trace ID</th><td><code>${p.traceId}</code> (the app’s administrator can look it up)</td></tr>
${ctx.connectionId ? html`<tr><th>Connection</th><td><code>${ctx.connectionId}</code></td></tr>` : ''}
<tr><th>Time</th><td>${p.at.toISOString()}</td></tr>
</table>
</details>
</main>`;
  return endUserPage(family.title, body);
}

function supportLine(contact: string | undefined): SafeHtml {
  if (!contact)
    return html`If this keeps happening, contact your IT help desk and give them the reference above.`;
  const link = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact)
    ? html`<a href="mailto:${contact}">${contact}</a>`
    : /^https?:\/\/\S+$/i.test(contact)
      ? html`<a href="${contact}" rel="noopener">${contact}</a>`
      : html`${contact}`;
  return html`Need help? Contact ${link} and give them the reference above.`;
}

function endUserPage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title}</title>
<style>
  body { font: 16px/1.55 system-ui, sans-serif; margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center; background: #f6f8fa; color: #1b1f23; }
  .card { max-width: 36rem; margin: 3rem 1rem; padding: 1.75rem 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.06); }
  h1 { font-size: 1.45rem; line-height: 1.3; margin: 0 0 .75rem; }
  .kicker { margin: 0 0 .25rem; color: #cf222e; font-weight: 600; font-size: .9rem; text-transform: uppercase; letter-spacing: .04em; }
  .org { margin: 0 0 .5rem; color: #57606a; }
  .actions { margin: 1.25rem 0; display: flex; gap: .6rem; flex-wrap: wrap; }
  a.button { display: inline-block; padding: .5rem 1.1rem; border: 1px solid #d0d7de; border-radius: 8px; color: #1b1f23; text-decoration: none; font-weight: 600; }
  a.button.primary { background: #1f6feb; border-color: #1f6feb; color: #fff; }
  .reference code { font: 15px ui-monospace, monospace; background: #f3f4f6; padding: .15rem .4rem; border-radius: 4px; letter-spacing: .04em; }
  .muted { color: #57606a; font-size: .95rem; }
  details { margin-top: 1.25rem; border-top: 1px solid #eaeef2; padding-top: .75rem; font-size: .9rem; }
  summary { cursor: pointer; color: #57606a; }
  table { border-collapse: collapse; margin-top: .5rem; } th, td { text-align: left; vertical-align: top; padding: .2rem .75rem .2rem 0; }
  code { font: 13px ui-monospace, monospace; }
</style>
</head>
<body>
${body}
</body>
</html>
`.html;
}
