/** Hostile or broken input: size, encoding, DTDs, document shape and IdP error statuses. */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import {
  buildResponse,
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0">&lol3;</samlp:Response>`;

describe('input', () => {
  it('refuses a DTD with entity expansion (billion laughs)', async () => {
    await expectRejected(encodeResponse(BILLION_LAUGHS), 'SAML_DTD_FORBIDDEN');
  });

  it('refuses an external entity (XXE) injected into a signed response', async () => {
    const xml = (await buildResponseXml()).replace(
      '<samlp:Response',
      '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><samlp:Response',
    );
    await expectRejected(encodeResponse(xml), 'SAML_DTD_FORBIDDEN');
  });

  it('refuses an oversized response before decoding it', async () => {
    const error = await expectRejected('A'.repeat(2_000_000), 'SAML_MESSAGE_TOO_LARGE');
    expect(error.status).toBe(413);
  });

  it('applies maxBytes to the decoded XML', async () => {
    const samlResponse = await buildResponse();
    await expectRejected(samlResponse, 'SAML_MESSAGE_TOO_LARGE', buildValidateOptions({ maxBytes: 4096 }));
  });

  it('refuses a value that is not base64', async () => {
    await expectRejected('this is not base64!', 'SAML_MALFORMED');
  });

  it('refuses base64 that is not XML', async () => {
    await expectRejected(Buffer.from('hello world').toString('base64'), 'SAML_MALFORMED');
  });

  it('refuses a deflated response and names the binding problem', async () => {
    const deflated = deflateRawSync(Buffer.from(await buildResponseXml())).toString('base64');
    const error = await expectRejected(deflated, 'SAML_MALFORMED');
    expect(error.hint).toContain('HTTP-POST');
  });

  it('refuses XML that is not well-formed', async () => {
    const truncated = (await buildResponseXml()).slice(0, -20);
    await expectRejected(encodeResponse(truncated), 'SAML_MALFORMED');
  });

  it('refuses an empty value', async () => {
    await expectRejected('', 'SAML_MESSAGE_MISSING');
  });

  it('refuses another kind of message at the ACS', async () => {
    const logout = (await buildResponseXml()).replace(/samlp:Response/g, 'samlp:LogoutResponse');
    await expectRejected(encodeResponse(logout), 'SAML_STRUCTURE_INVALID');
  });

  it('refuses SAML 1.1 and missing IDs', async () => {
    await expectRejected(
      await buildResponse({ tamper: (xml) => xml.replace('Version="2.0"', 'Version="1.1"') }),
      'SAML_STRUCTURE_INVALID',
    );
    await expectRejected(
      await buildResponse({ tamper: (xml) => xml.replace('ID="_resp-7f3a9c2e8b1d4f60a5e7"', '') }),
      'SAML_STRUCTURE_INVALID',
    );
  });

  it('refuses a successful response without an assertion', async () => {
    const xml = (await buildResponseXml()).replace(/<saml:Assertion[\s\S]*<\/saml:Assertion>/, '');
    await expectRejected(encodeResponse(xml), 'SAML_ASSERTION_MISSING');
  });
});

describe('status', () => {
  it('reports a non-success status with the IdP codes and message', async () => {
    const samlResponse = await buildResponse({
      status: {
        code: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
        subCode: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
        message: 'No email for this user',
      },
    });
    const error = await expectRejected(samlResponse, 'SAML_STATUS_NOT_SUCCESS');
    expect(error.details).toEqual({
      statusCodes: [
        'urn:oasis:names:tc:SAML:2.0:status:Responder',
        'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
      ],
      statusMessage: 'No email for this user',
    });
    expect(error.hint).toContain('Responder / InvalidNameIDPolicy');
    expect(error.hint).toContain('No email for this user');
    expect(error.hint).toContain('NameID format');
  });

  it('reports the status before anything else, even with an assertion present', async () => {
    const samlResponse = await buildResponse({
      status: { code: 'urn:oasis:names:tc:SAML:2.0:status:Requester' },
      assertionWithStatus: true,
      audience: 'https://other.example.com',
    });
    await expectRejected(samlResponse, 'SAML_STATUS_NOT_SUCCESS');
  });

  it('refuses a response without Status', async () => {
    const xml = (await buildResponseXml()).replace(/<samlp:Status>[\s\S]*?<\/samlp:Status>/, '');
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });

  it('treats a status without a known Success code as a failure', async () => {
    const samlResponse = await buildResponse({ status: { code: 'Success' }, assertionWithStatus: true });
    await expectRejected(samlResponse, 'SAML_STATUS_NOT_SUCCESS');
    await expect(validateResponse(await buildResponse(), buildValidateOptions())).resolves.toBeDefined();
  });
});
