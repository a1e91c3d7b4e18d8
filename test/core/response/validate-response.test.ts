/**
 * The validator end to end: what it accepts, what the result holds, and each claim check (issuer, audience,
 * recipient, destination, time, InResponseTo, attributes). Signatures, encryption, XSW and hostile input
 * have their own files.
 */
import { describe, expect, it } from 'vitest';
import type { CheckTrace } from '../../../src/core/response/validate-response.ts';
import { RESPONSE_CHECKS, validateResponse } from '../../../src/core/response/validate-response.ts';
import {
  ACS_URL,
  buildResponse,
  buildValidateOptions,
  FIXED_NOW,
  fingerprintOf,
  IDP_ENTITY_ID,
  REQUEST_ID,
  SP_ENTITY_ID,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const seconds = (s: number) => new Date(FIXED_NOW.getTime() + s * 1000);

describe('validateResponse: accepted responses', () => {
  it('accepts an assertion-signed response and returns every fact', async () => {
    const result = await validateResponse(await buildResponse(), buildValidateOptions());
    expect(result).toEqual({
      responseId: '_resp-7f3a9c2e8b1d4f60a5e7',
      assertionId: '_assert-2b8e4f6a0c1d3e5f7a9b',
      issuer: IDP_ENTITY_ID,
      inResponseTo: REQUEST_ID,
      nameId: {
        value: 'alice@example.com',
        format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      },
      sessionIndex: '_session-4d2c1b0a99',
      sessionNotOnOrAfter: seconds(8 * 3600),
      authnInstant: seconds(-10),
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      attributes: {
        email: ['alice@example.com'],
        firstName: ['Alice'],
        lastName: ['Liddell'],
        groups: ['engineering', 'admins'],
      },
      // min(Conditions, SubjectConfirmationData NotOnOrAfter) = now + 300 s, plus the 120 s skew.
      notOnOrAfter: seconds(420),
      signature: {
        signedElements: ['assertion'],
        certificateFingerprint: fingerprintOf('idp'),
        algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      },
      wasEncrypted: false,
    });
  });

  it('accepts a response signed on both the Response and the Assertion', async () => {
    const result = await validateResponse(await buildResponse({ sign: 'both' }), buildValidateOptions());
    expect(result.signature.signedElements).toEqual(['response', 'assertion']);
  });

  it('accepts a Response-only signature when the policy says response-or-assertion', async () => {
    const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
    const result = await validateResponse(await buildResponse({ sign: 'response' }), options);
    expect(result.signature.signedElements).toEqual(['response']);
    expect(result.nameId.value).toBe('alice@example.com');
  });

  it('accepts raw XML as well as base64', async () => {
    const xml = Buffer.from(await buildResponse(), 'base64').toString('utf8');
    expect((await validateResponse(xml, buildValidateOptions())).assertionId).toBe(
      '_assert-2b8e4f6a0c1d3e5f7a9b',
    );
  });

  it('accepts base64 wrapped at 76 columns, as some IdPs post it', async () => {
    const wrapped = (await buildResponse()).replace(/(.{76})/g, '$1\r\n');
    await expect(validateResponse(wrapped, buildValidateOptions())).resolves.toBeDefined();
  });

  it('keeps NameQualifier and SPNameQualifier for logout', async () => {
    const samlResponse = await buildResponse({
      nameId: 'G-7c1f',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      nameQualifier: IDP_ENTITY_ID,
      spNameQualifier: SP_ENTITY_ID,
    });
    const { nameId } = await validateResponse(samlResponse, buildValidateOptions());
    expect(nameId).toEqual({
      value: 'G-7c1f',
      format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      nameQualifier: IDP_ENTITY_ID,
      spNameQualifier: SP_ENTITY_ID,
    });
  });

  it('accepts a response without AuthnStatement (Keycloak can omit it)', async () => {
    const result = await validateResponse(
      await buildResponse({ authnStatement: false }),
      buildValidateOptions(),
    );
    expect(result.sessionIndex).toBeUndefined();
    expect(result.authnInstant).toBeUndefined();
  });

  it('accepts a missing Destination on an unsigned Response', async () => {
    await expect(
      validateResponse(await buildResponse({ destination: null }), buildValidateOptions()),
    ).resolves.toBeDefined();
  });

  it('accepts a response without a Response Issuer (it is optional)', async () => {
    await expect(
      validateResponse(await buildResponse({ responseIssuer: null }), buildValidateOptions()),
    ).resolves.toBeDefined();
  });
});

describe('validateResponse: issuer, audience, recipient, destination', () => {
  it('refuses a wrong assertion Issuer', async () => {
    const error = await expectRejected(
      await buildResponse({ issuer: 'https://evil.example.com' }),
      'SAML_ISSUER_MISMATCH',
    );
    expect(error.details).toMatchObject({ expected: IDP_ENTITY_ID, received: 'https://evil.example.com' });
  });

  it('refuses a wrong Response Issuer even when the assertion Issuer is right', async () => {
    await expectRejected(
      await buildResponse({ responseIssuer: 'https://evil.example.com' }),
      'SAML_ISSUER_MISMATCH',
    );
  });

  it('refuses a wrong audience and tells the admin what to set', async () => {
    const error = await expectRejected(
      await buildResponse({ audience: 'https://other.example.com' }),
      'SAML_AUDIENCE_MISMATCH',
    );
    expect(error.details).toEqual({ expected: SP_ENTITY_ID, received: ['https://other.example.com'] });
    expect(error.hint).toContain(SP_ENTITY_ID);
  });

  it('refuses an audience that merely starts with the SP entity ID', async () => {
    await expectRejected(await buildResponse({ audience: `${SP_ENTITY_ID}.evil` }), 'SAML_AUDIENCE_MISMATCH');
  });

  it('refuses an audience that differs only by a trailing slash', async () => {
    await expectRejected(await buildResponse({ audience: `${SP_ENTITY_ID}/` }), 'SAML_AUDIENCE_MISMATCH');
  });

  it('refuses an assertion without AudienceRestriction', async () => {
    await expectRejected(await buildResponse({ audience: null }), 'SAML_AUDIENCE_MISMATCH');
  });

  it('requires the SP in every AudienceRestriction', async () => {
    const both = await buildResponse({
      audienceRestrictions: [[SP_ENTITY_ID, 'https://a.example.com'], [SP_ENTITY_ID]],
    });
    await expect(validateResponse(both, buildValidateOptions())).resolves.toBeDefined();
    const one = await buildResponse({ audienceRestrictions: [[SP_ENTITY_ID], ['https://a.example.com']] });
    await expectRejected(one, 'SAML_AUDIENCE_MISMATCH');
  });

  it('refuses a wrong SubjectConfirmationData Recipient', async () => {
    const error = await expectRejected(
      await buildResponse({ recipient: 'https://sp.example.com/saml/other/acs' }),
      'SAML_RECIPIENT_MISMATCH',
    );
    expect(error.details).toMatchObject({ expected: ACS_URL });
  });

  it('refuses a wrong Destination', async () => {
    const error = await expectRejected(
      await buildResponse({ destination: 'https://evil.example.com/acs' }),
      'SAML_DESTINATION_MISMATCH',
    );
    expect(error.details).toEqual({ expected: ACS_URL, received: 'https://evil.example.com/acs' });
  });

  it('refuses a signed Response without Destination (SAML bindings 3.5.5.2)', async () => {
    await expectRejected(
      await buildResponse({ sign: 'both', destination: null }),
      'SAML_DESTINATION_MISMATCH',
    );
  });

  it('refuses a subject without NameID, with the ADFS claim-rule hint', async () => {
    const error = await expectRejected(await buildResponse({ nameId: null }), 'SAML_SUBJECT_INVALID');
    expect(error.hint).toContain('ADFS');
  });

  it('refuses a subject confirmed by a method other than bearer', async () => {
    await expectRejected(
      await buildResponse({ confirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' }),
      'SAML_SUBJECT_INVALID',
    );
  });

  it('refuses a bearer confirmation without NotOnOrAfter', async () => {
    await expectRejected(await buildResponse({ subjectNotOnOrAfter: null }), 'SAML_SUBJECT_INVALID');
  });
});

describe('validateResponse: time', () => {
  it('refuses an expired assertion and reports the clock difference', async () => {
    const error = await expectRejected(
      await buildResponse({ notOnOrAfter: seconds(-600) }),
      'SAML_RESPONSE_EXPIRED',
    );
    expect(error.details).toMatchObject({ where: 'Conditions', secondsLate: 600, skewSeconds: 120 });
  });

  it('refuses an assertion that is not yet valid', async () => {
    const error = await expectRejected(
      await buildResponse({ notBefore: seconds(600) }),
      'SAML_RESPONSE_NOT_YET_VALID',
    );
    expect(error.details).toMatchObject({ where: 'Conditions', secondsAhead: 600, skewSeconds: 120 });
  });

  it('accepts NotBefore and NotOnOrAfter within the skew', async () => {
    const ahead = await buildResponse({ notBefore: seconds(100) });
    await expect(validateResponse(ahead, buildValidateOptions())).resolves.toBeDefined();
    const late = await buildResponse({ notOnOrAfter: seconds(-100), subjectNotOnOrAfter: seconds(-100) });
    await expect(validateResponse(late, buildValidateOptions())).resolves.toBeDefined();
  });

  it('refuses NotOnOrAfter exactly at the skew limit', async () => {
    await expectRejected(await buildResponse({ notOnOrAfter: seconds(-120) }), 'SAML_RESPONSE_EXPIRED');
  });

  it('applies the connection skew (0 s refuses what 120 s accepts)', async () => {
    const samlResponse = await buildResponse({ notBefore: seconds(30) });
    await expectRejected(
      samlResponse,
      'SAML_RESPONSE_NOT_YET_VALID',
      buildValidateOptions({ policy: { clockSkewSeconds: 0 } }),
    );
  });

  it('refuses an expired SubjectConfirmationData', async () => {
    const error = await expectRejected(
      await buildResponse({ subjectNotOnOrAfter: seconds(-300) }),
      'SAML_RESPONSE_EXPIRED',
    );
    expect(error.details).toMatchObject({ where: 'SubjectConfirmationData' });
  });

  it('refuses an AuthnInstant in the future and an ended IdP session', async () => {
    await expectRejected(await buildResponse({ authnInstant: seconds(600) }), 'SAML_RESPONSE_NOT_YET_VALID');
    await expectRejected(
      await buildResponse({ sessionNotOnOrAfter: seconds(-600) }),
      'SAML_RESPONSE_EXPIRED',
    );
  });

  it('refuses a time that is not an xs:dateTime', async () => {
    const samlResponse = await buildResponse({
      editAssertion: (xml) => xml.replace(/NotBefore="[^"]+"/, 'NotBefore="yesterday"'),
    });
    await expectRejected(samlResponse, 'SAML_STRUCTURE_INVALID');
  });

  it('computes the replay horizon from the earliest NotOnOrAfter plus skew', async () => {
    const result = await validateResponse(
      await buildResponse({ notOnOrAfter: seconds(3600), subjectNotOnOrAfter: seconds(60) }),
      buildValidateOptions(),
    );
    expect(result.notOnOrAfter).toEqual(seconds(180));
  });
});

describe('validateResponse: InResponseTo', () => {
  it('refuses an InResponseTo this browser did not start', async () => {
    const error = await expectRejected(
      await buildResponse({ inResponseTo: '_someone-elses-request' }),
      'SAML_IN_RESPONSE_TO_UNKNOWN',
    );
    // The assertion ID is verified by then: the caller can tell a re-posted response (replay) from a stray one.
    expect(error.details).toMatchObject({
      inResponseTo: '_someone-elses-request',
      assertionId: '_assert-2b8e4f6a0c1d3e5f7a9b',
    });
  });

  it('refuses any InResponseTo when no request is outstanding', async () => {
    await expectRejected(
      await buildResponse(),
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      buildValidateOptions({ expectedRequestIds: [] }),
    );
  });

  it('accepts any of several outstanding requests', async () => {
    const options = buildValidateOptions({ expectedRequestIds: ['_other', REQUEST_ID] });
    expect((await validateResponse(await buildResponse(), options)).inResponseTo).toBe(REQUEST_ID);
  });

  it('refuses a Response and assertion that answer different requests', async () => {
    const samlResponse = await buildResponse({ subjectInResponseTo: '_other-request' });
    await expectRejected(
      samlResponse,
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      buildValidateOptions({ expectedRequestIds: [REQUEST_ID, '_other-request'] }),
    );
  });

  it('refuses an unsolicited response by default', async () => {
    await expectRejected(await buildResponse({ inResponseTo: null }), 'SAML_UNSOLICITED');
  });

  it('accepts an unsolicited response when the connection allows IdP-initiated sign-in', async () => {
    const options = buildValidateOptions({ policy: { allowIdpInitiated: true } });
    const result = await validateResponse(await buildResponse({ inResponseTo: null }), options);
    expect(result.inResponseTo).toBeUndefined();
  });

  // Issue #9, item 1: an unsigned Response's InResponseTo binds nothing.
  it('treats an unsigned Response naming a request around an assertion that names none as unsolicited', async () => {
    const samlResponse = await buildResponse({ sign: 'assertion', subjectInResponseTo: null });
    const error = await expectRejected(samlResponse, 'SAML_UNSOLICITED');
    expect(error.message).toContain(REQUEST_ID);
    expect(error.details).toMatchObject({ unsignedInResponseTo: REQUEST_ID, allowIdpInitiated: false });
  });

  it('accepts that response as unsolicited (not bound to the request) when IdP-initiated sign-in is allowed', async () => {
    const samlResponse = await buildResponse({ sign: 'assertion', subjectInResponseTo: null });
    const options = buildValidateOptions({ policy: { allowIdpInitiated: true } });
    expect((await validateResponse(samlResponse, options)).inResponseTo).toBeUndefined();
  });

  it('binds to the InResponseTo of a signed Response when the assertion names no request', async () => {
    for (const sign of ['response', 'both'] as const) {
      const samlResponse = await buildResponse({ sign, subjectInResponseTo: null });
      const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
      expect((await validateResponse(samlResponse, options)).inResponseTo, sign).toBe(REQUEST_ID);
    }
  });

  it('still refuses an unknown InResponseTo when IdP-initiated sign-in is allowed', async () => {
    const options = buildValidateOptions({ policy: { allowIdpInitiated: true } });
    await expectRejected(
      await buildResponse({ inResponseTo: '_unknown' }),
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      options,
    );
  });
});

describe('validateResponse: attributes', () => {
  it('merges repeated attributes, keeps every value, reads typed and empty values', async () => {
    const samlResponse = await buildResponse({
      attributes: [
        { name: 'Role', values: ['default-roles-acme'] },
        { name: 'Role', values: ['offline_access', 'admin'] },
        { name: 'employeeNumber', values: [{ value: '42', type: 'xs:integer' }] },
        { name: 'nickname', values: [''] },
        { name: 'manager', values: [{ nil: true }] },
        { name: '__proto__', values: ['x'] },
      ],
    });
    const { attributes } = await validateResponse(samlResponse, buildValidateOptions());
    expect(attributes.Role).toEqual(['default-roles-acme', 'offline_access', 'admin']);
    expect(attributes.employeeNumber).toEqual(['42']);
    expect(attributes.nickname).toEqual(['']);
    expect(attributes.manager).toEqual([]);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toEqual(['x']);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  });
});

describe('validateResponse: trace and options', () => {
  it('records every check in order, as passed or skipped', async () => {
    const trace: CheckTrace[] = [];
    await validateResponse(await buildResponse(), buildValidateOptions({ trace }));
    expect(trace.map((t) => t.check)).toEqual(RESPONSE_CHECKS.map((c) => c.id));
    expect(trace.find((t) => t.check === 'response-signature')?.status).toBe('skip');
    expect(trace.filter((t) => t.status === 'fail')).toEqual([]);
  });

  it('records the failed check and skips the rest', async () => {
    const trace: CheckTrace[] = [];
    await expectRejected(
      await buildResponse({ audience: 'https://x.example.com' }),
      'SAML_AUDIENCE_MISMATCH',
      buildValidateOptions({ trace }),
    );
    expect(trace.map((t) => t.check)).toEqual(RESPONSE_CHECKS.map((c) => c.id));
    const audience = trace.findIndex((t) => t.check === 'audience');
    expect(trace[audience]?.status).toBe('fail');
    expect(trace.slice(audience + 1).every((t) => t.status === 'skip')).toBe(true);
  });

  it('throws InvalidOptionError for integrator mistakes', async () => {
    const samlResponse = await buildResponse();
    await expect(
      validateResponse(samlResponse, buildValidateOptions({ now: new Date('nope') })),
    ).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    });
    await expect(
      validateResponse(samlResponse, buildValidateOptions({ policy: { clockSkewSeconds: Number.NaN } })),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });

  it('reports a connection without certificates as SAML_CONNECTION_INVALID', async () => {
    const options = buildValidateOptions({ trust: [] });
    await expectRejected(await buildResponse(), 'SAML_CONNECTION_INVALID', options);
  });
});
