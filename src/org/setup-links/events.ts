/**
 * What the setup-link service reports, for the event catalogue and webhooks (issue #12, the events room):
 * pass `onEvent` to {@link SetupLinkService} and forward these. The service never waits on a slow
 * subscriber's failure: an `onEvent` that throws is logged and ignored, so a webhook outage cannot lock a
 * customer out of the portal.
 */
import type { Actor } from '../../sp/change-context.ts';

interface SetupLinkEventBase {
  linkId: string;
  organizationId: string;
  at: Date;
  actor: Actor;
}

/**
 * - `setup_link.created`: an app admin created a link (`expiresAt` says until when it works).
 * - `setup_link.used`: the customer's IT admin did something through the link (`action`: "open", "metadata",
 *   "test-start", "activate", …; `ip` and `userAgent` as logged). The catalogue's "completed" use is
 *   `action: 'activate'`.
 * - `setup_link.expired`: an expired link was presented (emitted on each refused use; a link nobody uses after
 *   its expiry emits nothing, as no process watches the clock for it).
 * - `setup_link.revoked`: an app admin revoked it.
 */
export type SetupLinkEvent =
  | (SetupLinkEventBase & { type: 'setup_link.created'; expiresAt: Date })
  | (SetupLinkEventBase & {
      type: 'setup_link.used';
      action: string;
      /** The connection the link sets up, once reserved. */
      connectionId?: string;
      ip?: string;
      userAgent?: string;
    })
  | (SetupLinkEventBase & { type: 'setup_link.expired'; expiresAt: Date })
  | (SetupLinkEventBase & { type: 'setup_link.revoked' });

export type SetupLinkEventType = SetupLinkEvent['type'];
