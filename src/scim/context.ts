/**
 * What the SCIM services share: the store, the organizations, the clock, and the two hooks other rooms plug
 * into (the audit log and lifecycle events: {@link ScimChangeListener}).
 */
import type { ChangeContext } from '../sp/change-context.ts';
import type { ScimStore, SessionStore, UserStore } from '../store/types.ts';
import type { OrganizationDirectory } from './organizations.ts';

/** One write to an organization's directory. `resource` is the SCIM resource after the change (absent on delete). */
export interface ScimChange {
  kind:
    | 'user.provisioned'
    | 'user.updated'
    | 'user.deactivated'
    | 'user.reactivated'
    | 'user.deleted'
    | 'group.created'
    | 'group.updated'
    | 'group.deleted';
  organizationId: string;
  resourceId: string;
  resource?: Record<string, unknown>;
  /** How many live sessions a deprovisioning ended. */
  sessionsEnded?: number;
  at: Date;
}

/**
 * Told about every SCIM write, after it is stored: the audit log records it (actor kind 'scim-token') and the
 * event outbox turns user.* changes into lifecycle events and app hooks. Awaited; its errors are logged by the
 * caller and never undo the write.
 */
export type ScimChangeListener = (change: ScimChange, context: ChangeContext) => void | Promise<void>;

export interface ScimServiceDeps {
  scim: ScimStore;
  users: UserStore;
  sessions: SessionStore;
  organizations: OrganizationDirectory;
  /** BASE_URL, for meta.location and $ref. */
  baseUrl: string;
  now?: () => Date;
  onChange?: ScimChangeListener;
}

export function scimBase(baseUrl: string, organizationId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/scim/v2/${encodeURIComponent(organizationId)}`;
}
