/**
 * Issue #9 item 3: elements the SAML schema does not allow where they stand are refused, in responses, in
 * the assertion (even when the IdP's own signature covers them) and in logout messages. Before, each of
 * these was accepted.
 */
import { describe, expect, it } from 'vitest';
import { validateLogoutRequest } from '../../../src/core/logout/validate-logout.ts';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { incoming, LOGOUT_SP, logoutConnection, logoutRequestXml } from '../../fixtures/build-logout.ts';
import {
  buildResponse,
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  FIXED_NOW,
} from '../../fixtures/build-response.ts';
import { expectRejected } from './helpers.ts';

const FOREIGN = '<x:note xmlns:x="urn:example:vendor">hello</x:note>';

describe('a Response has the children the protocol schema allows', () => {
  it('refuses a foreign element among the Response children before the Assertion', async () => {
    const xml = (await buildResponseXml()).replace('<saml:Assertion ', `${FOREIGN}<saml:Assertion `);
    const error = await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
    expect(error.details).toMatchObject({
      element: '{urn:oasis:names:tc:SAML:2.0:protocol}Response',
      found: '{urn:example:vendor}note',
      after: '{urn:oasis:names:tc:SAML:2.0:protocol}Status',
    });
    expect(error.hint).toMatch(/Extensions/);
  });

  it.each([
    [
      'a foreign element before the Status',
      (x: string) => x.replace('<samlp:Status>', `${FOREIGN}<samlp:Status>`),
    ],
    ['a second Status', (x: string) => x.replace(/(<samlp:Status>.*?<\/samlp:Status>)/, '$1$1')],
    ['the Assertion before the Status', (x: string) => moveAssertionFirst(x)],
    [
      'Extensions after the Status',
      (x: string) => x.replace('</samlp:Status>', '</samlp:Status><samlp:Extensions/>'),
    ],
    ['text among the Response children', (x: string) => x.replace('<samlp:Status>', 'junk<samlp:Status>')],
    [
      'a samlp element in the Status',
      (x: string) => x.replace('</samlp:Status>', '<samlp:Status/></samlp:Status>'),
    ],
  ])('refuses %s', async (_name, edit) => {
    await expectRejected(encodeResponse(edit(await buildResponseXml())), 'SAML_STRUCTURE_INVALID');
  });

  it('accepts vendor content inside samlp:Extensions, where the schema puts it', async () => {
    const xml = (await buildResponseXml()).replace(
      '<samlp:Status>',
      `<samlp:Extensions>${FOREIGN}</samlp:Extensions><samlp:Status>`,
    );
    await expect(validateResponse(encodeResponse(xml), buildValidateOptions())).resolves.toBeDefined();
  });

  it('accepts comments and whitespace between the children', async () => {
    const xml = (await buildResponseXml()).replace('<samlp:Status>', '\n  <!-- status -->\n  <samlp:Status>');
    await expect(validateResponse(encodeResponse(xml), buildValidateOptions())).resolves.toBeDefined();
  });

  it('accepts what every builder in the suite sends: signed either way, encrypted', async () => {
    for (const sign of ['assertion', 'response', 'both'] as const) {
      const options = buildValidateOptions({ policy: { wantSigned: 'response-or-assertion' } });
      await expect(validateResponse(await buildResponse({ sign }), options)).resolves.toBeDefined();
    }
    await expect(
      validateResponse(await buildResponse({ encrypt: { algorithm: 'gcm' } }), buildValidateOptions()),
    ).resolves.toBeDefined();
  });
});

describe('an Assertion has the children the assertion schema allows, even under its own signature', () => {
  it.each([
    [
      'a foreign element between Subject and Conditions',
      (a: string) => a.replace('<saml:Conditions', `${FOREIGN}<saml:Conditions`),
    ],
    [
      'an element inside the NameID',
      (a: string) =>
        a.replace(
          'alice@example.com</saml:NameID>',
          'alice<x:b xmlns:x="urn:x">@evil.example</x:b>@example.com</saml:NameID>',
        ),
    ],
    [
      'an AuthnStatement without AuthnContext',
      (a: string) => a.replace(/<saml:AuthnContext>.*?<\/saml:AuthnContext>/, ''),
    ],
    [
      'a foreign element in the AudienceRestriction',
      (a: string) => a.replace('</saml:AudienceRestriction>', `${FOREIGN}</saml:AudienceRestriction>`),
    ],
    ['two Subjects', (a: string) => a.replace(/(<saml:Subject>.*?<\/saml:Subject>)/, '$1$1')],
  ])('refuses %s', async (_name, editAssertion) => {
    await expectRejected(await buildResponse({ editAssertion }), 'SAML_STRUCTURE_INVALID');
  });

  it('refuses a foreign element in SignedInfo', async () => {
    const xml = (await buildResponseXml()).replace('<ds:SignatureMethod', `${FOREIGN}<ds:SignatureMethod`);
    await expectRejected(encodeResponse(xml), 'SAML_STRUCTURE_INVALID');
  });
});

describe('logout messages have the children the protocol schema allows', () => {
  const validate = (xml: string, binding: 'redirect' | 'post' | 'soap') =>
    validateLogoutRequest(incoming(xml, 'SAMLRequest', { binding }), {
      connection: logoutConnection(),
      sp: LOGOUT_SP,
      now: FIXED_NOW,
    });

  it.each(['redirect', 'post', 'soap'] as const)(
    'refuses a signed %s LogoutRequest with a foreign element before the NameID',
    (binding) => {
      const xml = logoutRequestXml().replace('<saml:NameID', `${FOREIGN}<saml:NameID`);
      expect(() => validate(xml, binding)).toThrow(
        expect.objectContaining({ code: 'SAML_STRUCTURE_INVALID' }) as Error,
      );
      expect(validate(logoutRequestXml(), binding).nameId.value).toBe('alice@example.com');
    },
  );

  it('refuses a LogoutRequest with two NameIDs', () => {
    const xml = logoutRequestXml().replace(/(<saml:NameID.*?<\/saml:NameID>)/, '$1$1');
    expect(() => validate(xml, 'post')).toThrow(
      expect.objectContaining({ code: 'SAML_STRUCTURE_INVALID' }) as Error,
    );
  });
});

/** Moves the Assertion in front of the Status (the schema wants Status first). */
function moveAssertionFirst(xml: string): string {
  const assertion = /<saml:Assertion .*<\/saml:Assertion>/.exec(xml)![0];
  return xml.replace(assertion, '').replace('<samlp:Status>', `${assertion}<samlp:Status>`);
}
