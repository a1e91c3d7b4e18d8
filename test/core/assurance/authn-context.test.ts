/** The assurance check alone: accepted contexts (class or Microsoft's authnmethodsreferences claim), maxAge, ForceAuthn. */
import { describe, expect, it } from 'vitest';
import {
  AC,
  AUTHN_METHODS_REFERENCES_CLAIM,
  type AuthnRequirements,
  checkAuthnRequirements,
  MFA_PRESETS,
} from '../../../src/core/assurance/authn-context.ts';
import { isSamlSpError } from '../../../src/core/errors.ts';

const now = new Date('2026-03-01T12:00:00Z');
const base: AuthnRequirements = { acceptedContexts: [], preset: 'generic', now, skewSeconds: 120 };
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isSamlSpError(err) ? err.code : 'not a SamlSpError';
  }
}

describe('checkAuthnRequirements', () => {
  it('accepts anything when nothing is required', () => {
    expect(checkAuthnRequirements({ attributes: {} }, base)).toBeUndefined();
  });

  it('matches the AuthnContextClassRef against the accepted list', () => {
    const required = { ...base, acceptedContexts: [AC.mobileTwoFactorContract] };
    expect(
      checkAuthnRequirements({ authnContextClassRef: AC.mobileTwoFactorContract, attributes: {} }, required),
    ).toContain(AC.mobileTwoFactorContract);
    expect(
      codeOf(() =>
        checkAuthnRequirements(
          { authnContextClassRef: AC.passwordProtectedTransport, attributes: {} },
          required,
        ),
      ),
    ).toBe('SAML_AUTHN_CONTEXT_NOT_ACCEPTED');
    expect(codeOf(() => checkAuthnRequirements({ attributes: {} }, required))).toBe(
      'SAML_AUTHN_CONTEXT_NOT_ACCEPTED',
    );
  });

  it('takes Entra ID’s MFA from the authnmethodsreferences claim, its class staying PasswordProtectedTransport', () => {
    const required = {
      ...base,
      preset: 'entra' as const,
      acceptedContexts: [...MFA_PRESETS.entra.classRefs],
    };
    const evidence = {
      authnContextClassRef: AC.passwordProtectedTransport,
      attributes: {
        [AUTHN_METHODS_REFERENCES_CLAIM]: [
          'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
          AC.microsoftMultipleAuthn,
        ],
      },
    };
    expect(checkAuthnRequirements(evidence, required)).toContain('multipleauthn');
    try {
      checkAuthnRequirements(
        { authnContextClassRef: AC.passwordProtectedTransport, attributes: {} },
        required,
      );
      expect.unreachable();
    } catch (err) {
      expect(isSamlSpError(err) && err.hint).toMatch(/Conditional Access/);
    }
  });

  it('maxAge: within the limit plus skew passes, beyond it or without AuthnInstant fails', () => {
    const required = { ...base, maxAgeSeconds: 600 };
    expect(checkAuthnRequirements({ authnInstant: minutesAgo(11), attributes: {} }, required)).toMatch(
      /660 s ago/,
    );
    expect(
      codeOf(() => checkAuthnRequirements({ authnInstant: minutesAgo(13), attributes: {} }, required)),
    ).toBe('SAML_AUTHN_TOO_OLD');
    expect(codeOf(() => checkAuthnRequirements({ attributes: {} }, required))).toBe('SAML_AUTHN_TOO_OLD');
  });

  it('ForceAuthn: an AuthnInstant before the request (beyond skew) means the IdP ignored it', () => {
    const required = { ...base, forceAuthnSince: minutesAgo(1) };
    expect(
      codeOf(() => checkAuthnRequirements({ authnInstant: minutesAgo(0.5), attributes: {} }, required)),
    ).toBe(undefined);
    expect(
      codeOf(() => checkAuthnRequirements({ authnInstant: minutesAgo(2.5), attributes: {} }, required)),
    ).toBe(undefined);
    expect(
      codeOf(() => checkAuthnRequirements({ authnInstant: minutesAgo(3.5), attributes: {} }, required)),
    ).toBe('SAML_FORCE_AUTHN_IGNORED');
    expect(codeOf(() => checkAuthnRequirements({ attributes: {} }, required))).toBe(
      'SAML_FORCE_AUTHN_IGNORED',
    );
  });

  it('every vendor preset names an IdP setting; only Google reports no MFA class', () => {
    for (const [preset, mfa] of Object.entries(MFA_PRESETS)) {
      expect(mfa.idpSetting.length, preset).toBeGreaterThan(40);
      expect(mfa.classRefs.length === 0, preset).toBe(preset === 'google');
    }
    expect(MFA_PRESETS.entra.requestable).toBe(false);
  });
});
