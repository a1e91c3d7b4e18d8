/**
 * Turns ACS outcomes (ServiceProvider's `onSignInResult`) into per-connection health: the last successful
 * sign-in and the last refusal with its code, hint and trace ID, for the admin page.
 *
 * Only what the connection's IdP verifiably said counts (issue #13): a refusal of a message whose signature
 * never verified, or that answered no pending request of this browser, is anybody's POST. It is traced (the
 * trace view shows it, marked unverified) but changes no health, so a stranger can neither turn a connection
 * to "Needs attention" nor put their text in front of an admin.
 */
import { isSamlSpError } from '../core/errors.ts';
import type { ConnectionHealthStore } from '../store/connection-health.ts';
import { failureFacts } from '../trace/index.ts';
import type { SignInEvent } from './service-provider.ts';

/**
 * A handler for `onSignInResult` that records each outcome that may speak for its connection.
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
    if (!event.attempt?.verified) return;
    // Unknown connection ids never get here (no signature can verify without a connection), kept explicit.
    if (isSamlSpError(event.error) && event.error.code === 'SAML_CONNECTION_NOT_FOUND') return;
    await health.recordFailure(event.connectionId, {
      at: event.at,
      ...failureFacts(event.error),
      traceId: event.attempt.traceId,
    });
  };
}
