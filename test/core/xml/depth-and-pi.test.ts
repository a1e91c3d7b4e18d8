/**
 * Issue #9 item 3: element depth is capped while the DOM is built, in every XML path (responses, logout
 * messages, SOAP, metadata, SignedInfo), and processing instructions are refused in SAML messages.
 *
 * Before: 20,000 nested elements outside the signed part were parsed (about 130 ms) and the response was
 * accepted; 20,000 inside a signed Response, or 35,000 inside SignedInfo, overflowed the canonicaliser's
 * stack and escaped as a RangeError (a 500 over HTTP).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SamlErrorCode } from '../../../src/core/errors.ts';
import { validateLogoutRequest } from '../../../src/core/logout/validate-logout.ts';
import { parseIdpMetadata } from '../../../src/core/metadata/idp-metadata.ts';
import { validateResponse } from '../../../src/core/response/validate-response.ts';
import { DEFAULT_MAX_XML_DEPTH, parseXml } from '../../../src/core/xml/parse.ts';
import { incoming, LOGOUT_SP, logoutConnection, logoutRequestXml } from '../../fixtures/build-logout.ts';
import {
  buildResponseXml,
  buildValidateOptions,
  encodeResponse,
  FIXED_NOW,
} from '../../fixtures/build-response.ts';
import { expectRejected } from '../response/helpers.ts';

/** `depth` nested foreign elements. */
function nest(depth: number): string {
  return `<x:a xmlns:x="urn:x">${'<x:a>'.repeat(depth - 1)}${'</x:a>'.repeat(depth)}`;
}

function inExtensions(xml: string, depth: number): string {
  return xml.replace('<samlp:Status>', `<samlp:Extensions>${nest(depth)}</samlp:Extensions><samlp:Status>`);
}

/** Nesting inside the first SignedInfo of the document (the Response's when it is signed, else the assertion's). */
function inFirstSignedInfo(xml: string, depth: number): string {
  const at = xml.indexOf('<ds:SignedInfo>') + '<ds:SignedInfo>'.length;
  return xml.slice(0, at) + nest(depth) + xml.slice(at);
}

const bigMessages = { maxBytes: 10 * 1024 * 1024 };

function codeOf(fn: () => unknown): SamlErrorCode | 'accepted' | string {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `${(err as Error).name}: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('element depth is capped while parsing', () => {
  it('refuses 20,000 nested elements outside the signed part, without parsing them all', async () => {
    const xml = inExtensions(await buildResponseXml({ sign: 'assertion' }), 20_000);
    const error = await expectRejected(
      encodeResponse(xml),
      'SAML_XML_TOO_DEEP',
      buildValidateOptions(bigMessages),
    );
    expect(error.details).toMatchObject({ maxDepth: DEFAULT_MAX_XML_DEPTH });
    expect(error.hint).toMatch(/maxDepth/);
  });

  it('refuses 20,000 nested elements inside a signed Response (no stack overflow in c14n)', async () => {
    const xml = inExtensions(await buildResponseXml({ sign: 'both' }), 20_000);
    await expectRejected(encodeResponse(xml), 'SAML_XML_TOO_DEEP', buildValidateOptions(bigMessages));
  });

  it.each([
    ['the Response SignedInfo', 'both'],
    ['the Assertion SignedInfo', 'assertion'],
  ] as const)('refuses 35,000 nested elements inside %s without a stack overflow', async (_name, sign) => {
    const xml = inFirstSignedInfo(await buildResponseXml({ sign }), 35_000);
    await expectRejected(
      encodeResponse(xml),
      'SAML_XML_TOO_DEEP',
      buildValidateOptions({ ...bigMessages, policy: { wantSigned: 'response-or-assertion' } }),
    );
  });

  it('makes the limit configurable, and refuses a limit the canonicaliser could not survive', async () => {
    const genuine = encodeResponse(await buildResponseXml());
    await expect(validateResponse(genuine, buildValidateOptions({ maxDepth: 8 }))).resolves.toBeDefined();
    await expectRejected(genuine, 'SAML_XML_TOO_DEEP', buildValidateOptions({ maxDepth: 5 }));
    const deeper = encodeResponse(inExtensions(await buildResponseXml(), 150));
    await expectRejected(deeper, 'SAML_XML_TOO_DEEP');
    await expect(validateResponse(deeper, buildValidateOptions({ maxDepth: 200 }))).resolves.toBeDefined();
    await expect(validateResponse(genuine, buildValidateOptions({ maxDepth: 5000 }))).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });

  it.each(['redirect', 'post', 'soap'] as const)('refuses a deeply nested %s LogoutRequest', (binding) => {
    const xml = logoutRequestXml().replace(
      '<saml:Issuer>',
      `<samlp:Extensions>${nest(20_000)}</samlp:Extensions><saml:Issuer>`,
    );
    // Unsigned: the depth is refused at parse time, before the missing signature is even looked for.
    const message = incoming(xml, 'SAMLRequest', { binding, signer: null });
    expect(
      codeOf(() =>
        validateLogoutRequest(message, {
          connection: logoutConnection(),
          sp: LOGOUT_SP,
          now: FIXED_NOW,
          ...bigMessages,
        }),
      ),
    ).toBe('SAML_XML_TOO_DEEP');
  });

  it('refuses deeply nested IdP metadata', () => {
    const metadata = readFileSync(
      new URL('../../fixtures/metadata/keycloak-realm.xml', import.meta.url),
      'utf8',
    );
    const deep = metadata.replace(
      /(<md:IDPSSODescriptor[^>]*>)/,
      `$1<md:Extensions>${nest(20_000)}</md:Extensions>`,
    );
    expect(deep).not.toBe(metadata);
    expect(codeOf(() => parseIdpMetadata(deep, { maxBytes: 10 * 1024 * 1024 }))).toBe('SAML_XML_TOO_DEEP');
  });

  it('stops the parser at the limit: what lies deeper is never read', () => {
    // Past level 101 the text is not even XML. A check made after building the DOM would report it as
    // malformed; the parse-time limit never gets there. (A timing bound would say the same, flakily.)
    const deep = `<r>${'<a>'.repeat(150)}<1-not-a-tag>${'</a>'.repeat(150)}</r>`;
    expect(codeOf(() => parseXml(deep))).toBe('SAML_XML_TOO_DEEP');
    expect(codeOf(() => parseXml(deep, { maxDepth: 200 }))).toBe('SAML_MALFORMED');
  });

  it('counts depth as the parser sees it: siblings and self-closing elements do not add up', () => {
    const wide = `<r>${'<a/>'.repeat(300)}${'<b><c/></b>'.repeat(300)}</r>`;
    expect(() => parseXml(wide, { maxDepth: 3 })).not.toThrow();
    expect(codeOf(() => parseXml('<r><b><c><d/></c></b></r>', { maxDepth: 3 }))).toBe('SAML_XML_TOO_DEEP');
  });
});

describe('processing instructions are refused in SAML messages', () => {
  it('refuses a processing instruction inside the signed assertion (before: accepted, and signed)', async () => {
    const xml = await buildResponseXml({
      editAssertion: (a) => a.replace('<saml:Subject>', '<?evil payload?><saml:Subject>'),
    });
    const error = await expectRejected(encodeResponse(xml), 'SAML_PROCESSING_INSTRUCTION_FORBIDDEN');
    expect(error.details).toMatchObject({ target: 'evil' });
  });

  it('refuses one after the root element and one in the Response', async () => {
    const genuine = await buildResponseXml();
    await expectRejected(
      encodeResponse(`${genuine}<?xml-stylesheet href="x"?>`),
      'SAML_PROCESSING_INSTRUCTION_FORBIDDEN',
    );
    await expectRejected(
      encodeResponse(genuine.replace('<samlp:Status>', '<?pi?><samlp:Status>')),
      'SAML_PROCESSING_INSTRUCTION_FORBIDDEN',
    );
  });

  it('accepts the XML declaration at the start', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>${await buildResponseXml()}`;
    await expect(validateResponse(encodeResponse(xml), buildValidateOptions())).resolves.toBeDefined();
  });

  it('refuses one in a logout message', () => {
    const xml = logoutRequestXml().replace('<saml:Issuer>', '<?pi?><saml:Issuer>');
    const message = incoming(xml, 'SAMLRequest', { binding: 'post', signer: null });
    expect(
      codeOf(() =>
        validateLogoutRequest(message, { connection: logoutConnection(), sp: LOGOUT_SP, now: FIXED_NOW }),
      ),
    ).toBe('SAML_PROCESSING_INSTRUCTION_FORBIDDEN');
  });

  it('still reads metadata published with a stylesheet instruction', () => {
    const metadata = readFileSync(
      new URL('../../fixtures/metadata/keycloak-realm.xml', import.meta.url),
      'utf8',
    );
    const styled = `<?xml-stylesheet type="text/xsl" href="metadata.xsl"?>${metadata.replace(/^<\?xml[^>]*\?>\s*/, '')}`;
    expect(parseIdpMetadata(styled).entityId).toBeTruthy();
  });
});
