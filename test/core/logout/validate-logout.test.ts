import { describe, expect, it } from 'vitest';
import type { SamlErrorCode } from '../../../src/core/errors.ts';
import { decodeLogoutMessage } from '../../../src/core/logout/decode.ts';
import {
  type ValidateLogoutOptions,
  validateLogoutRequest,
  validateLogoutResponse,
} from '../../../src/core/logout/validate-logout.ts';
import {
  incoming,
  LOGOUT_REQUEST_ID,
  LOGOUT_SP,
  logoutConnection,
  logoutRequestXml,
  logoutResponseXml,
  SP_LOGOUT_REQUEST_ID,
} from '../../fixtures/build-logout.ts';
import { FIXED_NOW, fingerprintOf } from '../../fixtures/build-response.ts';

const options = (overrides: Partial<ValidateLogoutOptions> = {}): ValidateLogoutOptions => ({
  connection: logoutConnection(),
  sp: LOGOUT_SP,
  now: FIXED_NOW,
  ...overrides,
});

function expectCode(fn: () => unknown, code: SamlErrorCode): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, `expected ${code}, but it was accepted`).toBeDefined();
  expect(error).toMatchObject({ name: 'SamlSpError', code });
}

const BINDINGS = ['redirect', 'post', 'soap'] as const;

describe('validateLogoutRequest', () => {
  for (const binding of BINDINGS) {
    it(`accepts a signed ${binding} LogoutRequest and reads NameID, SessionIndex and RelayState`, () => {
      const xml = logoutRequestXml({
        nameIdAttributes:
          ' NameQualifier="https://idp.example.com" SPNameQualifier="https://sp.example.com" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"',
        nameId: 'G-1234',
        sessionIndexes: ['_a', '_b'],
      });
      const relayState = binding === 'soap' ? {} : { relayState: 'rs-123' };
      const request = validateLogoutRequest(
        incoming(xml, 'SAMLRequest', { binding, ...relayState }),
        options(),
      );
      expect(request).toMatchObject({
        id: LOGOUT_REQUEST_ID,
        binding,
        issuer: 'https://idp.example.com/saml/metadata',
        nameId: {
          value: 'G-1234',
          format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
          nameQualifier: 'https://idp.example.com',
          spNameQualifier: 'https://sp.example.com',
        },
        sessionIndexes: ['_a', '_b'],
        signature: {
          kind: binding === 'redirect' ? 'query' : 'enveloped',
          certificateFingerprint: fingerprintOf('idp'),
        },
        ...relayState,
      });
      // No NotOnOrAfter: the replay horizon is IssueInstant + max age + skew.
      expect(request.replayUntil.toISOString()).toBe(
        new Date(FIXED_NOW.getTime() + (300 + 120) * 1000).toISOString(),
      );
    });

    it(`refuses an unsigned ${binding} LogoutRequest`, () => {
      expectCode(
        () =>
          validateLogoutRequest(
            incoming(logoutRequestXml(), 'SAMLRequest', { binding, signer: null }),
            options(),
          ),
        'SAML_SIGNATURE_MISSING',
      );
    });
  }

  it('refuses a LogoutRequest signed by a key the connection does not trust', () => {
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'post', signer: 'idp-rogue' }),
          options(),
        ),
      'SAML_SIGNATURE_UNTRUSTED',
    );
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'redirect', signer: 'idp-rogue' }),
          options(),
        ),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('verifies the redirect signature over the raw query: a changed RelayState breaks it', () => {
    const message = incoming(logoutRequestXml(), 'SAMLRequest', { relayState: 'abc' });
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    const altered = {
      binding: 'redirect' as const,
      rawQuery: message.rawQuery.replace('RelayState=abc', 'RelayState=abd'),
    };
    expectCode(() => validateLogoutRequest(altered, options()), 'SAML_SIGNATURE_INVALID');
  });

  it('refuses a tampered POST LogoutRequest (digest mismatch)', () => {
    const message = incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'post' });
    if (message.binding !== 'post') throw new Error('post expected');
    const xml = Buffer.from(String(message.fields.SAMLRequest), 'base64')
      .toString('utf8')
      .replace('alice@', 'bob@');
    expectCode(
      () =>
        validateLogoutRequest(
          { binding: 'post', fields: { SAMLRequest: Buffer.from(xml).toString('base64') } },
          options(),
        ),
      'SAML_SIGNATURE_INVALID',
    );
  });

  it('refuses a wrong Destination, and a missing one on the front channel', () => {
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml({ destination: 'https://other.example/slo' }), 'SAMLRequest'),
          options(),
        ),
      'SAML_DESTINATION_MISMATCH',
    );
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml({ destination: null }), 'SAMLRequest', { binding: 'post' }),
          options(),
        ),
      'SAML_DESTINATION_MISMATCH',
    );
  });

  // Issue #9, item 7: without Destination, a SOAP LogoutRequest signed for another SP of the IdP replays here.
  it('refuses a back-channel (SOAP) LogoutRequest without Destination unless the connection opts out', () => {
    const soap = () => incoming(logoutRequestXml({ destination: null }), 'SAMLRequest', { binding: 'soap' });
    let error: unknown;
    try {
      validateLogoutRequest(soap(), options());
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'SAML_DESTINATION_MISMATCH',
      message: 'The signed back-channel (SOAP) LogoutRequest has no Destination.',
      details: { expected: LOGOUT_SP.sloUrl, received: null, binding: 'soap' },
    });
    expect((error as { hint: string }).hint).toContain('allowSoapLogoutWithoutDestination');

    const base = logoutConnection();
    const optedOut = { ...base, policy: { ...base.policy, allowSoapLogoutWithoutDestination: true } };
    const request = validateLogoutRequest(soap(), options({ connection: optedOut }));
    expect(request.id).toBe(LOGOUT_REQUEST_ID);
    expect(request.destination).toBeUndefined();
    // The opt-out is for SOAP only: the front channel still requires Destination.
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml({ destination: null }), 'SAMLRequest', { binding: 'post' }),
          options({ connection: optedOut }),
        ),
      'SAML_DESTINATION_MISMATCH',
    );
    // A SOAP request with the right Destination is accepted, and says so.
    const withDestination = validateLogoutRequest(
      incoming(logoutRequestXml(), 'SAMLRequest', { binding: 'soap' }),
      options(),
    );
    expect(withDestination.destination).toBe(LOGOUT_SP.sloUrl);
  });

  it('refuses a wrong or missing Issuer, and accepts a configured logout alias (Entra)', () => {
    const entra = 'https://login.microsoftonline.com/tenant/';
    expectCode(
      () => validateLogoutRequest(incoming(logoutRequestXml({ issuer: entra }), 'SAMLRequest'), options()),
      'SAML_ISSUER_MISMATCH',
    );
    expectCode(
      () => validateLogoutRequest(incoming(logoutRequestXml({ issuer: null }), 'SAMLRequest'), options()),
      'SAML_ISSUER_MISMATCH',
    );
    const connection = logoutConnection({ policy: { logoutIssuerAliases: [entra] } });
    const request = validateLogoutRequest(
      incoming(logoutRequestXml({ issuer: entra }), 'SAMLRequest'),
      options({ connection }),
    );
    expect(request.issuer).toBe(entra);
  });

  it('honours NotOnOrAfter with the connection clock skew', () => {
    const notOnOrAfter = new Date(FIXED_NOW.getTime() - 60_000);
    // 60 s late, inside the default 120 s skew.
    const ok = validateLogoutRequest(incoming(logoutRequestXml({ notOnOrAfter }), 'SAMLRequest'), options());
    expect(ok.replayUntil.toISOString()).toBe(new Date(notOnOrAfter.getTime() + 120_000).toISOString());
    const strict = logoutConnection({ policy: { clockSkewSeconds: 30 } });
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml({ notOnOrAfter }), 'SAMLRequest'),
          options({ connection: strict }),
        ),
      'SAML_RESPONSE_EXPIRED',
    );
  });

  it('refuses a LogoutRequest issued too long ago or in the future', () => {
    const old = new Date(FIXED_NOW.getTime() - 3600_000);
    expectCode(
      () =>
        validateLogoutRequest(incoming(logoutRequestXml({ issueInstant: old }), 'SAMLRequest'), options()),
      'SAML_RESPONSE_EXPIRED',
    );
    const future = new Date(FIXED_NOW.getTime() + 3600_000);
    expectCode(
      () =>
        validateLogoutRequest(incoming(logoutRequestXml({ issueInstant: future }), 'SAMLRequest'), options()),
      'SAML_RESPONSE_NOT_YET_VALID',
    );
  });

  it('refuses a LogoutRequest without a usable NameID', () => {
    expectCode(
      () => validateLogoutRequest(incoming(logoutRequestXml({ subjectXml: '' }), 'SAMLRequest'), options()),
      'SAML_STRUCTURE_INVALID',
    );
    const encrypted =
      '<saml:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedID>';
    expectCode(
      () =>
        validateLogoutRequest(
          incoming(logoutRequestXml({ subjectXml: encrypted }), 'SAMLRequest'),
          options(),
        ),
      'SAML_STRUCTURE_INVALID',
    );
  });

  it('refuses SHA-1 redirect signatures unless the connection allows them', () => {
    const message = incoming(logoutRequestXml(), 'SAMLRequest');
    if (message.binding !== 'redirect') throw new Error('redirect expected');
    const sha1 = {
      binding: 'redirect' as const,
      rawQuery: message.rawQuery.replace(
        /SigAlg=[^&]+/,
        `SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`,
      ),
    };
    expectCode(() => validateLogoutRequest(sha1, options()), 'SAML_ALGORITHM_FORBIDDEN');
  });

  it('refuses another message at the SLO endpoint', () => {
    const authn =
      '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0"/>';
    expectCode(
      () => decodeLogoutMessage(incoming(authn, 'SAMLRequest', { signer: null })),
      'SAML_STRUCTURE_INVALID',
    );
    expectCode(
      () => decodeLogoutMessage({ binding: 'redirect', rawQuery: 'foo=bar' }),
      'SAML_MESSAGE_MISSING',
    );
    expectCode(() => decodeLogoutMessage({ binding: 'soap', body: '<a/>' }), 'SAML_STRUCTURE_INVALID');
    expectCode(
      () => decodeLogoutMessage({ binding: 'soap', body: '<!DOCTYPE x [<!ENTITY a "b">]><a/>' }),
      'SAML_DTD_FORBIDDEN',
    );
  });
});

describe('validateLogoutResponse', () => {
  const expected = { expectedRequestIds: [SP_LOGOUT_REQUEST_ID] };

  for (const binding of ['redirect', 'post'] as const) {
    it(`accepts a signed ${binding} LogoutResponse that answers our request`, () => {
      const response = validateLogoutResponse(
        incoming(logoutResponseXml(), 'SAMLResponse', { binding, relayState: '/bye' }),
        {
          ...options(),
          ...expected,
        },
      );
      expect(response).toMatchObject({
        inResponseTo: SP_LOGOUT_REQUEST_ID,
        outcome: 'success',
        statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Success'],
        relayState: '/bye',
      });
    });
  }

  it('refuses a LogoutResponse with a mismatched or missing InResponseTo', () => {
    expectCode(
      () =>
        validateLogoutResponse(incoming(logoutResponseXml({ inResponseTo: '_other' }), 'SAMLResponse'), {
          ...options(),
          ...expected,
        }),
      'SAML_IN_RESPONSE_TO_UNKNOWN',
    );
    expectCode(
      () =>
        validateLogoutResponse(incoming(logoutResponseXml({ inResponseTo: null }), 'SAMLResponse'), {
          ...options(),
          ...expected,
        }),
      'SAML_IN_RESPONSE_TO_UNKNOWN',
    );
  });

  it('refuses an unsigned LogoutResponse on either binding', () => {
    for (const binding of ['redirect', 'post'] as const) {
      expectCode(
        () =>
          validateLogoutResponse(incoming(logoutResponseXml(), 'SAMLResponse', { binding, signer: null }), {
            ...options(),
            ...expected,
          }),
        'SAML_SIGNATURE_MISSING',
      );
    }
  });

  it('accepts the Entra LogoutResponse Issuer only as a configured alias', () => {
    const entra = 'https://login.microsoftonline.com/tenant/';
    const message = incoming(logoutResponseXml({ issuer: entra }), 'SAMLResponse');
    expectCode(() => validateLogoutResponse(message, { ...options(), ...expected }), 'SAML_ISSUER_MISMATCH');
    const connection = logoutConnection({ policy: { logoutIssuerAliases: [entra] } });
    expect(validateLogoutResponse(message, { ...options({ connection }), ...expected }).issuer).toBe(entra);
  });

  it('reports PartialLogout and failures as outcomes, not exceptions', () => {
    const partial = `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/></samlp:StatusCode></samlp:Status>`;
    expect(
      validateLogoutResponse(incoming(logoutResponseXml({ statusXml: partial }), 'SAMLResponse'), {
        ...options(),
        ...expected,
      }).outcome,
    ).toBe('partial');
    const failed = `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/><samlp:StatusMessage>Session not found</samlp:StatusMessage></samlp:Status>`;
    expect(
      validateLogoutResponse(incoming(logoutResponseXml({ statusXml: failed }), 'SAMLResponse'), {
        ...options(),
        ...expected,
      }),
    ).toMatchObject({ outcome: 'failure', statusMessage: 'Session not found' });
  });
});
