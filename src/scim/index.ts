/**
 * The SCIM room's public module: other rooms (server wiring, admin API, CLI) import from here only.
 *
 * {@link createScimDirectory} assembles the services on one store; `router` is mounted at `/scim/v2`,
 * `links` is handed to the ServiceProvider as its `directory` (deprovisioned users refused at the ACS, SCIM
 * groups in `/me`), `tokens` backs the admin API and the CLI.
 */
import type { Logger } from '../http/logger.ts';
import type { Stores } from '../store/types.ts';
import type { ScimChangeListener } from './context.ts';
import { ScimGroups } from './groups.ts';
import { ScimUserLinks } from './linking.ts';
import type { OrganizationDirectory } from './organizations.ts';
import { scimRouter } from './routes.ts';
import { ScimTokens, type TokenChangeListener } from './tokens.ts';
import { ScimUsers } from './users.ts';

export type { ScimChange, ScimChangeListener } from './context.ts';
export { ScimError } from './errors.ts';
export { ScimGroups } from './groups.ts';
export { ScimUserLinks } from './linking.ts';
export {
  connectionOrganizations,
  type OrganizationDirectory,
  organizationDirectory,
} from './organizations.ts';
export { SCIM_CONTENT_TYPE, scimRouter } from './routes.ts';
export { ScimTokens, type ScimTokenView } from './tokens.ts';
export { ScimUsers } from './users.ts';

export interface ScimDirectoryOptions {
  stores: Pick<Stores, 'connections' | 'users' | 'sessions'> & { scim: NonNullable<Stores['scim']> };
  organizations: OrganizationDirectory;
  baseUrl: string;
  logger: Logger;
  now?: () => Date;
  /**
   * Every SCIM write, after it is stored (actor kind 'scim-token'): the hook for the audit log and for
   * lifecycle events (user provisioned / updated / deactivated / reactivated / deleted). Its errors are logged
   * and never undo the write.
   */
  onChange?: ScimChangeListener;
  /** Token creation and revocation, for the audit log. */
  onTokenChange?: TokenChangeListener;
}

export interface ScimDirectory {
  users: ScimUsers;
  groups: ScimGroups;
  tokens: ScimTokens;
  links: ScimUserLinks;
  router: ReturnType<typeof scimRouter>;
}

/**
 * @example
 * ```ts
 * const scim = createScimDirectory({ stores: { ...stores, scim: stores.scim }, organizations, baseUrl, logger });
 * app.use('/scim/v2', scim.router);
 * ```
 */
export function createScimDirectory(options: ScimDirectoryOptions): ScimDirectory {
  const { stores, organizations, baseUrl, logger } = options;
  const onChange: ScimChangeListener = async (change, context) => {
    logger.info(`scim.${change.kind}`, {
      organizationId: change.organizationId,
      resourceId: change.resourceId,
      ...(change.sessionsEnded !== undefined ? { sessionsEnded: change.sessionsEnded } : {}),
      actor: context.actor?.name,
    });
    try {
      await options.onChange?.(change, context);
    } catch (error) {
      logger.warn('scim.change_listener_failed', { kind: change.kind, message: String(error) });
    }
  };
  const deps = {
    scim: stores.scim,
    users: stores.users,
    sessions: stores.sessions,
    organizations,
    baseUrl,
    onChange,
    ...(options.now ? { now: options.now } : {}),
  };
  const users = new ScimUsers(deps);
  const groups = new ScimGroups(deps);
  const tokens = new ScimTokens({
    store: stores.scim,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onTokenChange ? { onChange: options.onTokenChange } : {}),
  });
  const links = new ScimUserLinks({
    stores,
    scim: stores.scim,
    organizations,
    ...(options.now ? { now: options.now } : {}),
  });
  const router = scimRouter({ users, groups, tokens, organizations, baseUrl, logger });
  return { users, groups, tokens, links, router };
}
