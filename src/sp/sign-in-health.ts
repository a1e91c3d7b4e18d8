/**
 * Turns ACS outcomes (ServiceProvider's `onSignInResult`) into per-connection health: the last successful
 * sign-in and the last refusal with its code and hint, for the admin page.
 */
import { isSamlSpError } from '../core/errors.ts';
import type { ConnectionHealthStore } from '../store/connection-health.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import type { SignInEvent } from './service-provider.ts';

/**
 * A handler for `onSignInResult` that records each outcome. Unknown connection ids are not recorded: anyone
 * can POST to /saml/<anything>/acs, and that must not create health rows.
 *
 * @example
 * ```ts
 * const sp = new ServiceProvider({ ..., onSignInResult: recordSignInHealth(stores.connectionHealth) });
 * ```
 */
export function recordSignInHealth(health: ConnectionHealthStore): (event: SignInEvent) => Promise<void> {
  return async (event) => {
    if (event.ok) {
      await health.recordSuccess(event.connectionId, {
        at: event.at,
        nameId: event.result.assertion.nameId.value,
        userId: event.result.user.id,
      });
      return;
    }
    const error = event.error;
    if (isSamlSpError(error)) {
      if (error.code === 'SAML_CONNECTION_NOT_FOUND') return;
      await health.recordFailure(event.connectionId, {
        at: event.at,
        code: error.code,
        message: error.message,
        hint: error.hint,
      });
      return;
    }
    if (isStoreUnavailable(error)) {
      // The same code the browser got and the log shows. (Recording fails too when the store that keeps
      // health is the one that is down; the outcome is unchanged either way.)
      await health.recordFailure(event.connectionId, {
        at: event.at,
        code: error.code,
        message: error.message,
        hint: 'A store (database or Redis) could not be reached during this sign-in; see the server log.',
      });
      return;
    }
    await health.recordFailure(event.connectionId, {
      at: event.at,
      code: 'INTERNAL_ERROR',
      message: 'An unexpected error interrupted the sign-in.',
      hint: 'See the server log around this time.',
    });
  };
}
