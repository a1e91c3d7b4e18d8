import { describe, expect, it } from 'vitest';
import { encodeLogoutMessage } from '../../../src/core/logout/encode.ts';
import { buildLogoutRequest, chooseSloEndpoint } from '../../../src/core/logout/logout-request.ts';
import { buildLogoutResponse, logoutStatusFor } from '../../../src/core/logout/logout-response.ts';
import { unwrapSoapEnvelope } from '../../../src/core/logout/soap.ts';
import { validateLogoutResponse } from '../../../src/core/logout/validate-logout.ts';
import type { SpIdentity } from '../../../src/core/types.ts';
import { decodeAndInflate } from '../../../src/core/xml/encoding.ts';
import { verifyRedirectQuery } from '../../../src/core/xml/sign.ts';
import { IDP_SLO_URL, logoutConnection, SP_SLO_URL } from '../../fixtures/build-logout.ts';
import { buildConnection, FIXED_NOW, idpCertificate, testKey } from '../../fixtures/build-response.ts';

const spKey = testKey('sp');
const sp: SpIdentity = {
  entityId: 'https://sp.example.com',
  acsUrl: 'https://sp.example.com/saml/acme/acs',
  sloUrl: SP_SLO_URL,
  metadataUrl: 'https://sp.example.com/saml/acme/metadata',
  signing: { privateKeyPem: spKey.keyPem, certificatePem: spKey.certPem },
  encryption: { privateKeyPem: spKey.keyPem, certificatePem: spKey.certPem },
};

describe('buildLogoutRequest', () => {
  it('echoes the NameID exactly as received, with every SessionIndex', () => {
    const request = buildLogoutRequest({
      sp,
      connection: logoutConnection({ spEntityId: 'https://sp.example.com/tenant/acme' }),
      nameId: {
        value: 'G-1<2>',
        format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        nameQualifier: 'https://idp.example.com',
        spNameQualifier: 'https://sp.example.com/tenant/acme',
      },
      sessionIndex: '_idx1',
      destination: IDP_SLO_URL,
      now: FIXED_NOW,
    });
    expect(request.xml).toContain(
      '<saml:NameID NameQualifier="https://idp.example.com" SPNameQualifier="https://sp.example.com/tenant/acme" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">G-1&lt;2&gt;</saml:NameID>',
    );
    expect(request.xml).toContain('<samlp:SessionIndex>_idx1</samlp:SessionIndex>');
    // The Issuer is the per-connection SP entity ID, as at sign-in (Entra AADSTS50068 otherwise).
    expect(request.xml).toContain('<saml:Issuer>https://sp.example.com/tenant/acme</saml:Issuer>');
    expect(request.xml).toContain(`Destination="${IDP_SLO_URL}"`);
    expect(request.xml).toContain('IssueInstant="2027-03-01T12:00:00Z"');
  });

  it('is signed over the raw query on the Redirect binding', () => {
    const request = buildLogoutRequest({
      sp,
      connection: logoutConnection(),
      nameId: { value: 'a' },
      destination: IDP_SLO_URL,
      now: FIXED_NOW,
    });
    const out = encodeLogoutMessage({
      binding: 'redirect',
      location: IDP_SLO_URL,
      key: 'SAMLRequest',
      xml: request.xml,
      relayState: '/bye',
      signing: sp.signing,
    });
    if (out.binding !== 'redirect') throw new Error('redirect expected');
    const verified = verifyRedirectQuery(out.url.split('?')[1]!, [spKey.certPem], { allowSha1: false });
    expect(verified).toMatchObject({ ok: true, relayState: '/bye' });
    expect(decodeAndInflate(verified.message.value)).toBe(request.xml);
  });
});

describe('chooseSloEndpoint', () => {
  it('prefers Redirect, honours a preference, uses ResponseLocation for answers, and is undefined without SLO', () => {
    const connection = buildConnection({
      sloEndpoints: [
        { binding: 'post', location: 'https://idp.example.com/post' },
        {
          binding: 'redirect',
          location: 'https://idp.example.com/redirect',
          responseLocation: 'https://idp.example.com/back',
        },
      ],
    });
    expect(chooseSloEndpoint(connection)).toEqual({
      binding: 'redirect',
      location: 'https://idp.example.com/redirect',
      responseLocation: 'https://idp.example.com/back',
    });
    expect(chooseSloEndpoint(connection, 'post')?.location).toBe('https://idp.example.com/post');
    expect(chooseSloEndpoint(buildConnection({ sloEndpoints: [] }))).toBeUndefined();
    expect(() =>
      chooseSloEndpoint(
        buildConnection({ sloEndpoints: [{ binding: 'redirect', location: 'javascript:x' }] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'SAML_CONNECTION_INVALID' }));
  });
});

describe('buildLogoutResponse', () => {
  it('builds a SOAP answer whose enveloped signature our own reader accepts', () => {
    const { xml } = buildLogoutResponse({
      issuer: sp.entityId,
      inResponseTo: '_req',
      status: logoutStatusFor('partial', 'one session could not be ended'),
      now: FIXED_NOW,
    });
    const out = encodeLogoutMessage({
      binding: 'soap',
      location: IDP_SLO_URL,
      key: 'SAMLResponse',
      xml,
      signing: sp.signing,
    });
    if (out.binding !== 'soap') throw new Error('soap expected');
    expect(unwrapSoapEnvelope(out.body).localName).toBe('LogoutResponse');
    // Read it back as an IdP would, trusting the SP key.
    const asIdp = buildConnection({ idpEntityId: sp.entityId, signingCertificates: [idpCertificate('sp')] });
    const read = validateLogoutResponse(
      { binding: 'soap', body: out.body },
      {
        connection: asIdp,
        sp: { entityId: 'x', sloUrl: IDP_SLO_URL },
        now: FIXED_NOW,
        expectedRequestIds: ['_req'],
      },
    );
    expect(read).toMatchObject({
      outcome: 'partial',
      statusCodes: [
        'urn:oasis:names:tc:SAML:2.0:status:Success',
        'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
      ],
      statusMessage: 'one session could not be ended',
    });
  });
});
