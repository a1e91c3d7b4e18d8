/**
 * A directory that knows the users before they sign in (SCIM, src/scim), seen from the sign-in side. The
 * ServiceProvider asks it twice: at the ACS, before it creates or updates the user (the directory may refuse a
 * deprovisioned user, and names the id a new user record gets so that both sides share one user), and each
 * time a session's user is loaded (the directory's groups show at once, and a user it has deactivated loses
 * every session on the next request even if a session was missed when it ended them).
 */
import type { UserRecord } from '../core/types.ts';
import type { SignInFacts } from './service-provider.ts';

export interface UserDirectory {
  /**
   * Called after the SAML checks pass and before the user is written. Throws a SamlSpError to refuse the
   * sign-in; returns the id a user created now must get (the directory's id for them), if any.
   */
  admit(facts: SignInFacts): Promise<{ userId?: string }>;
  /** The user as the directory knows them now; undefined when the directory has deactivated or removed them. */
  current(user: UserRecord): Promise<UserRecord | undefined>;
}
