/** The code, message and hint of a refused attempt, whatever was thrown (health and traces share them). */
import { isSamlSpError } from '../core/errors.ts';
import { isStoreUnavailable } from '../store/errors.ts';

export interface FailureFacts {
  code: string;
  message: string;
  hint: string;
}

/**
 * Our coded errors keep their code, message and hint; a store outage is `STORE_UNAVAILABLE`; anything else
 * is `INTERNAL_ERROR` with nothing of the original error (the log has it).
 *
 * @example
 * ```ts
 * failureFacts(new SamlSpError('SAML_REPLAYED', '...')).code; // 'SAML_REPLAYED'
 * ```
 */
export function failureFacts(error: unknown): FailureFacts {
  if (isSamlSpError(error)) return { code: error.code, message: error.message, hint: error.hint };
  if (isStoreUnavailable(error)) {
    return {
      code: error.code,
      message: error.message,
      hint: 'A store (database or Redis) could not be reached during this sign-in; see the server log.',
    };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: 'An unexpected error interrupted the sign-in.',
    hint: 'See the server log around this time.',
  };
}
