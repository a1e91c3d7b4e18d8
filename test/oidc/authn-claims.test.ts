/** The acr/amr table of the OpenID bridge (src/oidc/authn-claims.ts), value by value as the README lists it. */
import { describe, expect, it } from 'vitest';
import { AC, AUTHN_METHODS_REFERENCES_CLAIM } from '../../src/core/assurance/authn-context.ts';
import { authnClaims } from '../../src/oidc/authn-claims.ts';

describe('acr/amr from the SAML AuthnContext', () => {
  it('acr is the AuthnContextClassRef as sent; amr from the table', () => {
    expect(authnClaims({ contextClassRef: AC.passwordProtectedTransport })).toEqual({
      acr: AC.passwordProtectedTransport,
      amr: ['pwd'],
    });
    expect(authnClaims({ contextClassRef: AC.timeSyncToken }).amr).toEqual(['otp']);
    expect(authnClaims({ contextClassRef: AC.mobileTwoFactorContract }).amr).toEqual(['mfa']);
    expect(authnClaims({ contextClassRef: AC.smartcardPki }).amr).toEqual(['hwk', 'sc']);
    expect(authnClaims({ contextClassRef: AC.microsoftMultipleAuthn, preset: 'adfs' }).amr).toEqual(['mfa']);
  });

  it("a vendor preset's MFA class means mfa (Okta's 2fa level, Keycloak's gold); elsewhere it is only the acr", () => {
    expect(authnClaims({ contextClassRef: 'urn:okta:loa:2fa:any', preset: 'okta' })).toEqual({
      acr: 'urn:okta:loa:2fa:any',
      amr: ['mfa'],
    });
    expect(authnClaims({ contextClassRef: 'gold', preset: 'keycloak' }).amr).toEqual(['mfa']);
    expect(authnClaims({ contextClassRef: 'gold', preset: 'okta' })).toEqual({ acr: 'gold' });
  });

  it('Entra ID: PasswordProtectedTransport with multipleauthn in authnmethodsreferences is pwd + mfa', () => {
    expect(
      authnClaims({
        contextClassRef: AC.passwordProtectedTransport,
        preset: 'entra',
        attributes: {
          [AUTHN_METHODS_REFERENCES_CLAIM]: [
            'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
            'http://schemas.microsoft.com/claims/multipleauthn',
          ],
        },
      }),
    ).toEqual({ acr: AC.passwordProtectedTransport, amr: ['mfa', 'pwd'] });
  });

  it('no AuthnContext, or an unknown method: no acr, no amr (never a guess)', () => {
    expect(authnClaims({})).toEqual({});
    expect(authnClaims({ contextClassRef: AC.unspecified })).toEqual({ acr: AC.unspecified });
  });
});
