/** What someone sees when the link cannot be used: expired, revoked, unknown, or no portal session. */
import { html, type SafeHtml } from '../../html.ts';

export type ClosedReason = 'expired' | 'revoked' | 'not-found' | 'no-session' | 'rate-limited';

/** The stable code each refusal shows (the admin error codes of src/sp/admin-errors.ts). */
const CODES: Record<ClosedReason, string | undefined> = {
  expired: 'SETUP_LINK_EXPIRED',
  revoked: 'SETUP_LINK_REVOKED',
  'not-found': 'SETUP_LINK_NOT_FOUND',
  'no-session': undefined,
  'rate-limited': 'SETUP_RATE_LIMITED',
};

export function closedPage(reason: ClosedReason, appName: string): SafeHtml {
  const text: Record<ClosedReason, { title: string; body: string }> = {
    expired: { title: 'This setup link has expired', body: `Ask ${appName} for a new link.` },
    revoked: { title: 'This setup link was revoked', body: `Ask ${appName} for a new link.` },
    'not-found': {
      title: 'This setup link does not work',
      body: `Check that you copied the whole link, or ask ${appName} for a new link.`,
    },
    'no-session': {
      title: 'Open your setup link again',
      body: `This page is reached through the setup link ${appName} sent you. Open that link again (or ask ${appName} for a new one).`,
    },
    'rate-limited': {
      title: 'Too many requests',
      body: 'Wait a few minutes, then open your setup link again.',
    },
  };
  const { title, body } = text[reason];
  const code = CODES[reason];
  return html`<section class="error-box" role="alert" data-closed="${reason}"><h1>${title}</h1><p>${body}</p>${code ? html`<p class="muted small">${code}</p>` : ''}</section>`;
}

export function closedTitle(reason: ClosedReason): string {
  return reason === 'rate-limited' ? 'Too many requests' : 'Setup link';
}
