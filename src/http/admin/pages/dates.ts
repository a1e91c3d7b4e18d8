/**
 * Dates as an admin reads them: "12 Mar 2027" and "12 Mar 2027, 14:05 UTC", always UTC (the server and the
 * IdP console may sit in different zones, and UTC is what IdP consoles and certificates show). The exact ISO
 * time stays in the element's `datetime` and `title`.
 */
import { html, type SafeHtml } from '../../html.ts';

const DAY = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const TIME = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});

/** "12 Mar 2027", in a <time> element; a muted dash for no date. */
export function formatDate(iso: string | null | undefined): SafeHtml {
  const d = parse(iso);
  if (!d) return html`<span class="muted">–</span>`;
  return html`<time datetime="${iso}" title="${iso}">${DAY.format(d)}</time>`;
}

/** "12 Mar 2027, 14:05 UTC", in a <time> element. */
export function formatDateTime(iso: string | null | undefined): SafeHtml {
  const d = parse(iso);
  if (!d) return html`<span class="muted">–</span>`;
  return html`<time datetime="${iso}" title="${iso}">${DAY.format(d)}, ${TIME.format(d)} UTC</time>`;
}

/** The same as plain text (CLI, flash messages). */
export function dateTimeText(iso: string): string {
  const d = parse(iso);
  return d ? `${DAY.format(d)}, ${TIME.format(d)} UTC` : iso;
}

function parse(iso: string | null | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
