/**
 * The pages of /logout: the confirmation GET /logout shows, and what the user sees after a logout that did
 * not simply end well: signed out here, but the IdP session may
 * live on (no SLO endpoint), or the IdP could not sign them out everywhere (PartialLogout), or it refused
 * (failure). Each page says what happened and links to where the user was going. JSON clients get the same.
 */
import type { Request, Response } from 'express';
import { safeReturnTo } from '../sp/return-to.ts';
import { html, page } from './html.ts';
import { LOGOUT_TOKEN_FIELD } from './same-origin.ts';

/** The facts a logout page reports. */
export interface LogoutNotice {
  /** 'local': no SAML logout was possible; 'partial' / 'failure': the IdP's answer; 'idp': IdP-initiated. */
  kind: 'local' | 'partial' | 'failure' | 'idp';
  returnTo: string;
  connectionId?: string;
  /** Stable code for the admin (SAML_LOGOUT_FAILED), when there is one. */
  code?: string;
  /** The IdP's status codes and message, for 'failure' and 'partial'. */
  statusCodes?: string[];
  statusMessage?: string;
}

const TEXT: Record<LogoutNotice['kind'], { title: string; lead: string; more: string }> = {
  local: {
    title: 'Signed out of this application',
    lead: 'You are signed out of this application.',
    more: 'Your identity provider does not support Single Logout for this application, so you may still be signed in there (and in other applications that use it). Close the browser, or sign out at your identity provider, to end that session too.',
  },
  partial: {
    title: 'Signed out, but not everywhere',
    lead: 'You are signed out of this application, and your identity provider ended your session there.',
    more: 'The identity provider reports that it could not sign you out of every other application (PartialLogout). Close the browser to be sure.',
  },
  failure: {
    title: 'Signed out of this application only',
    lead: 'You are signed out of this application.',
    more: 'Your identity provider reported that it could not complete the sign-out, so you may still be signed in there. Close the browser, or sign out at your identity provider.',
  },
  idp: {
    title: 'Signed out',
    lead: 'Your identity provider signed you out of this application.',
    more: '',
  },
};

/** Sends the notice as an HTML page (200), or as JSON when the client prefers JSON. */
export function sendLogoutNotice(req: Request, res: Response, notice: LogoutNotice): void {
  res.setHeader('Cache-Control', 'no-store');
  // The Continue link is a redirect sink like any other (src/http/redirect.ts).
  const returnTo = safeReturnTo(notice.returnTo);
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({
      loggedOut: true,
      singleLogout: notice.kind === 'local' ? 'unavailable' : notice.kind,
      returnTo,
      ...(notice.connectionId ? { connectionId: notice.connectionId } : {}),
      ...(notice.code ? { code: notice.code } : {}),
      ...(notice.statusCodes ? { statusCodes: notice.statusCodes } : {}),
      ...(notice.statusMessage ? { statusMessage: notice.statusMessage } : {}),
    });
    return;
  }
  const text = TEXT[notice.kind];
  const status = notice.statusCodes?.length
    ? html`<p class="muted">Identity provider status: <code>${notice.statusCodes.join(' / ')}</code>${
        notice.statusMessage ? html` (“${notice.statusMessage}”)` : ''
      }${notice.code ? html`, code <code>${notice.code}</code>` : ''}.</p>`
    : '';
  res.type('html').send(
    page(
      text.title,
      html`<h1>${text.title}</h1>
<p>${text.lead}</p>
${text.more ? html`<p>${text.more}</p>` : ''}
${status}
<p><a class="button" href="${returnTo}">Continue</a></p>`,
    ),
  );
}

/**
 * GET /logout with a live session: asks the user to confirm, with a form that POSTs to /logout carrying the
 * session's logout token (src/http/same-origin.ts). The page may not be framed, so that another site cannot
 * lay it under a decoy button (clickjacking). JSON clients get the same POST to make.
 */
export function sendLogoutConfirm(
  req: Request,
  res: Response,
  confirm: { returnTo: string; token: string },
): void {
  const returnTo = safeReturnTo(confirm.returnTo);
  const action = `${req.baseUrl}/logout?returnTo=${encodeURIComponent(returnTo)}`;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  res.setHeader('X-Frame-Options', 'DENY');
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({
      signedIn: true,
      confirm: { method: 'POST', action, fields: { [LOGOUT_TOKEN_FIELD]: confirm.token } },
    });
    return;
  }
  res.type('html').send(
    page(
      'Sign out?',
      html`<h1>Sign out?</h1>
<p>Sign out of this application (and of your identity provider, where it supports Single Logout)?</p>
<form method="post" action="${action}">
<input type="hidden" name="${LOGOUT_TOKEN_FIELD}" value="${confirm.token}">
<button type="submit" id="confirm-sign-out">Sign out</button>
<a href="${returnTo}">Cancel</a>
</form>`,
    ),
  );
}
