/**
 * The step-up options of a sign-in link: `?forceAuthn=1&maxAge=600` (CONTRACT.md). Parsed strictly, because a
 * link with `maxAge=10m` that silently meant "no limit" would defeat the point of asking.
 */
import { SamlSpError } from '../core/errors.ts';
import { type LoginInput, MAX_STEP_UP_AGE_SECONDS } from '../sp/service-provider.ts';

/**
 * @example
 * ```ts
 * stepUpQuery({ forceAuthn: '1', maxAge: '600' }); // { forceAuthn: true, maxAge: 600 }
 * ```
 */
export function stepUpQuery(
  query: Record<string, unknown> | undefined,
): Pick<LoginInput, 'forceAuthn' | 'maxAge'> {
  const force = query?.forceAuthn;
  const maxAge = query?.maxAge;
  const out: Pick<LoginInput, 'forceAuthn' | 'maxAge'> = {};
  if (force !== undefined) {
    if (force === '1' || force === 'true') out.forceAuthn = true;
    else if (force !== '0' && force !== 'false') throw invalid('forceAuthn', force, 'use forceAuthn=1');
  }
  if (maxAge !== undefined) {
    const seconds = typeof maxAge === 'string' && /^\d{1,6}$/.test(maxAge) ? Number(maxAge) : Number.NaN;
    if (!(seconds <= MAX_STEP_UP_AGE_SECONDS)) {
      throw invalid('maxAge', maxAge, `give a whole number of seconds from 0 to ${MAX_STEP_UP_AGE_SECONDS}`);
    }
    out.maxAge = seconds;
  }
  return out;
}

function invalid(name: string, value: unknown, fix: string): SamlSpError {
  return new SamlSpError('SAML_LOGIN_OPTION_INVALID', `The sign-in link has an invalid ${name} value.`, {
    hint: `The application built a sign-in link with ${name}=${String(value).slice(0, 40)}: ${fix}.`,
    details: { option: name },
    status: 400,
  });
}
